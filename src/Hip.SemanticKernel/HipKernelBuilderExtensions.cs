using Hip.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.SemanticKernel;

/// <summary>Adds a local Hip model to a Semantic Kernel <see cref="IKernelBuilder"/>.</summary>
public static class HipKernelBuilderExtensions
{
    /// <summary>
    /// Registers <c>IChatCompletionService</c> and <c>IChatClient</c> for the model at <paramref name="modelPath"/>
    /// (keyed by <paramref name="serviceId"/> when given); the model loads on the first request, or at host start-up.
    /// </summary>
    public static IKernelBuilder AddHipChatCompletion(this IKernelBuilder builder, string modelPath, Action<HipChatClientOptions>? configure = null, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHipChatCompletion(modelPath, configure, serviceId);
        return builder;
    }

    /// <summary>Registers <c>IChatCompletionService</c> and <c>IChatClient</c> for the model <paramref name="configure"/> describes.</summary>
    public static IKernelBuilder AddHipChatCompletion(this IKernelBuilder builder, Action<HipChatClientOptions> configure, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddHipChatCompletion(configure, serviceId);
        return builder;
    }
}
