using Hip.Kernels;
using Hip.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers a local Hip model as <see cref="IChatClient"/> (and as Semantic Kernel's <see cref="IChatCompletionService"/>).
/// Each registration adds a <see cref="HipModel"/> singleton, options checked at start-up (ValidateOnStart), and a
/// hosted service that loads the model when the host starts (without a host, the first request loads it). A
/// <see cref="Gpu"/> registered in the container is shared by the model instead of creating an accelerator.
/// </summary>
public static class HipServiceCollectionExtensions
{
    /// <summary>
    /// Adds an <see cref="IChatClient"/> serving the model <paramref name="configure"/> describes (options can also come
    /// from <c>services.Configure&lt;HipChatClientOptions&gt;(...)</c>). Returns the builder, so middleware composes:
    /// <c>.UseFunctionInvocation().UseOpenTelemetry().UseLogging()</c>.
    /// </summary>
    public static ChatClientBuilder AddHipChatClient(this IServiceCollection services, Action<HipChatClientOptions>? configure = null,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddModel(services, serviceKey: null, configure);
        return services.AddChatClient(sp => sp.GetRequiredService<HipChatClient>(), lifetime);
    }

    /// <summary>Adds an <see cref="IChatClient"/> serving the model at <paramref name="modelPath"/>.</summary>
    public static ChatClientBuilder AddHipChatClient(this IServiceCollection services, string modelPath, Action<HipChatClientOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return services.AddHipChatClient(WithModelPath(modelPath, configure));
    }

    /// <summary>Adds an <see cref="IChatClient"/> with a copy of <paramref name="options"/>.</summary>
    public static ChatClientBuilder AddHipChatClient(this IServiceCollection services, HipChatClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddHipChatClient(CopyFrom(options));
    }

    /// <summary>
    /// Adds a keyed <see cref="IChatClient"/> (and keyed <see cref="HipModel"/>) for <paramref name="serviceKey"/>; its
    /// options are the named options <c>serviceKey.ToString()</c>.
    /// </summary>
    public static ChatClientBuilder AddKeyedHipChatClient(this IServiceCollection services, object serviceKey,
        Action<HipChatClientOptions>? configure = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        AddModel(services, serviceKey, configure);
        return services.AddKeyedChatClient(serviceKey, sp => sp.GetRequiredKeyedService<HipChatClient>(serviceKey), lifetime);
    }

    /// <summary>
    /// Adds Semantic Kernel's <see cref="IChatCompletionService"/> (through <c>AsChatCompletionService</c>) and the
    /// <see cref="IChatClient"/> behind it, keyed by <paramref name="serviceId"/> when one is given. The client runs
    /// kernel function invocation, like Semantic Kernel's own connectors.
    /// </summary>
    public static IServiceCollection AddHipChatCompletion(this IServiceCollection services, Action<HipChatClientOptions>? configure = null, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = serviceId is null ? services.AddHipChatClient(configure) : services.AddKeyedHipChatClient(serviceId, configure);
        builder.UseKernelFunctionInvocation();
        services.AddKeyedSingleton<IChatCompletionService>(serviceId,
            (sp, key) => (key is null ? sp.GetRequiredService<IChatClient>() : sp.GetRequiredKeyedService<IChatClient>(key)).AsChatCompletionService(sp));
        return services;
    }

    /// <summary>Adds Semantic Kernel's <see cref="IChatCompletionService"/> for the model at <paramref name="modelPath"/>.</summary>
    public static IServiceCollection AddHipChatCompletion(this IServiceCollection services, string modelPath, Action<HipChatClientOptions>? configure = null, string? serviceId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return services.AddHipChatCompletion(WithModelPath(modelPath, configure), serviceId);
    }

    private static void AddModel(IServiceCollection services, object? serviceKey, Action<HipChatClientOptions>? configure)
    {
        string name = serviceKey is null ? Options.Options.DefaultName : serviceKey.ToString() ?? "";
        var optionsBuilder = services.AddOptions<HipChatClientOptions>(name);
        if (configure is not null)
            optionsBuilder.Configure(configure);
        optionsBuilder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HipChatClientOptions>, HipChatClientOptionsValidator>());

        HipModel CreateModel(IServiceProvider sp) => new(
            sp.GetRequiredService<IOptionsMonitor<HipChatClientOptions>>().Get(name),
            sp.GetService<Gpu>(),
            sp.GetService<ILogger<HipModel>>());
        HipChatClient CreateClient(IServiceProvider sp, HipModel model) => new(model, sp.GetService<ILogger<HipChatClient>>());

        if (serviceKey is null)
        {
            services.AddSingleton(CreateModel);
            services.AddSingleton(sp => CreateClient(sp, sp.GetRequiredService<HipModel>()));
            services.AddSingleton<IHostedService>(sp => new HipModelLoader(sp.GetRequiredService<HipModel>));
        }
        else
        {
            services.AddKeyedSingleton(serviceKey, (sp, _) => CreateModel(sp));
            services.AddKeyedSingleton(serviceKey, (sp, key) => CreateClient(sp, sp.GetRequiredKeyedService<HipModel>(key)));
            services.AddSingleton<IHostedService>(sp => new HipModelLoader(() => sp.GetRequiredKeyedService<HipModel>(serviceKey)));
        }
    }

    private static Action<HipChatClientOptions> WithModelPath(string modelPath, Action<HipChatClientOptions>? configure) => options =>
    {
        options.ModelPath = modelPath;
        configure?.Invoke(options);
    };

    // Every settable option, so one added later is never dropped on the way (the copy happens once, at start-up).
    private static Action<HipChatClientOptions> CopyFrom(HipChatClientOptions source) => options =>
    {
        foreach (var property in typeof(HipChatClientOptions).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
            if (property.CanWrite)
                property.SetValue(options, property.GetValue(source));
    };
}
