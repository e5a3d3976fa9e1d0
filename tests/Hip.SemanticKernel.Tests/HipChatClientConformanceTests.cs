using Microsoft.Extensions.AI;

namespace Hip.SemanticKernel.Tests;

/// <summary>The conformance suite against a <see cref="HipChatClient"/> over the shared stories260K engine.</summary>
public sealed class HipChatClientConformanceTests : ChatClientConformanceTests
{
    protected override IChatClient CreateChatClient() => new HipChatClient(SharedModel.Engine);
}
