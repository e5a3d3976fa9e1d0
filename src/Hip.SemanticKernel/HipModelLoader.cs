using Microsoft.Extensions.Hosting;

namespace Hip.SemanticKernel;

/// <summary>
/// Loads a <see cref="HipModel"/> when the host starts, so the first request does not pay for it and a model that
/// cannot load stops the host at start-up instead of failing its first request.
/// </summary>
/// <param name="model">Resolves the model at start, after the host has validated the options.</param>
internal sealed class HipModelLoader(Func<HipModel> model) : IHostedService
{
    /// <summary>Waits for the load; a corrupt or unreadable model fails here with the loader's message.</summary>
    /// <exception cref="InvalidOperationException">The model failed to load; the message names the file and says why.</exception>
    public async Task StartAsync(CancellationToken cancellationToken) =>
        await model().LoadAsync(cancellationToken).ConfigureAwait(false);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
