using Microsoft.Extensions.Hosting;

namespace Hip.SemanticKernel;

/// <summary>Starts loading a <see cref="HipModel"/> when the host starts, so the first request does not pay for it.</summary>
/// <param name="model">Resolves the model at start, after the host has validated the options.</param>
internal sealed class HipModelLoader(Func<HipModel> model) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        model().StartLoading();   // in the background: requests wait for it; progress and failures are logged
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
