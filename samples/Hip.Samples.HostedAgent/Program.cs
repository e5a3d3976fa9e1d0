// A Generic Host app: options from appsettings.json (overridable from the environment or the command line, e.g.
// --Agent:Prompt "The dog" --Hip:ModelPath PATH), the Hip chat client injected into a hosted agent that answers one
// prompt and exits. The model loads in a hosted service while the host starts; HIP_MODEL=PATH also names one.
// --help lists the Agent and Hip keys; a misspelt one or a bad value stops before the host starts.
//   dotnet run --project samples/Hip.Samples.HostedAgent -- --Agent:Prompt "Once upon a time"
using Hip.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

if (!HostedAgentCommandLine.Check(args, out int exitCode))
    return exitCode;   // --help, or a bad command line

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);   // stdout carries only the answer

builder.Services.Configure<HipChatClientOptions>(builder.Configuration.GetSection("Hip"));
builder.Services.PostConfigure<HipChatClientOptions>(o =>
{
    if (Environment.GetEnvironmentVariable("HIP_MODEL") is { Length: > 0 } model)
        o.ModelPath = model;
    if (o.ModelPath.Length > 0 && !Path.IsPathRooted(o.ModelPath) && !File.Exists(o.ModelPath))
        o.ModelPath = Path.Combine(AppContext.BaseDirectory, o.ModelPath);   // the embedded model sits next to the binary
});
builder.Services.Configure<AgentOptions>(builder.Configuration.GetSection("Agent"));
builder.Services.AddHipChatClient().UseLogging();
builder.Services.AddHostedService<StoryAgent>();

using var host = builder.Build();
try
{
    await host.RunAsync();
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
return Environment.ExitCode;
