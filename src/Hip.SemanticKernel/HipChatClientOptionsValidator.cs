using Microsoft.Extensions.Options;

namespace Hip.SemanticKernel;

/// <summary>Checks <see cref="HipChatClientOptions"/> when they are first read (at host start-up with ValidateOnStart).</summary>
internal sealed class HipChatClientOptionsValidator : IValidateOptions<HipChatClientOptions>
{
    public ValidateOptionsResult Validate(string? name, HipChatClientOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException)
        {
            return ValidateOptionsResult.Fail(string.IsNullOrEmpty(name) ? e.Message : $"[{name}] {e.Message}");
        }
    }
}
