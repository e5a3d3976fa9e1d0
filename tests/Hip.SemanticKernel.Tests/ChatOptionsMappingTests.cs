using System.Text.Json;
using Hip.Inference;
using Microsoft.Extensions.AI;
using Xunit;

namespace Hip.SemanticKernel.Tests;

public sealed class ChatOptionsMappingTests
{
    private static readonly IChatClient s_client = new NullClient();

    [Fact]
    public void ToSamplingParams_NoOptions_RunsToTheEndWithEngineDefaults()
    {
        var sampling = ChatOptionsMapping.ToSamplingParams(null, s_client);

        Assert.Equal(int.MaxValue, sampling.MaxTokens);
        Assert.Equal(new SamplingParams().Temperature, sampling.Temperature);
        Assert.True(sampling.StopAtEndOfSequence);
        Assert.Null(sampling.Seed);
    }

    [Fact]
    public void ToSamplingParams_EveryOption_IsMapped()
    {
        var options = new ChatOptions
        {
            Temperature = 0.7f, TopP = 0.9f, TopK = 40, Seed = 5, MaxOutputTokens = 17, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f,
            AdditionalProperties = new() { ["min_p"] = 0.05, ["ignore_eos"] = true },
        };

        var sampling = ChatOptionsMapping.ToSamplingParams(options, s_client);

        Assert.Equal(new SamplingParams
        {
            Temperature = 0.7f, TopP = 0.9f, TopK = 40, Seed = 5, MaxTokens = 17, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f,
            MinP = 0.05f, StopAtEndOfSequence = false,
        }, sampling);
    }

    [Theory]
    [InlineData(0.05f)]
    [InlineData(0.05)]
    [InlineData("0.05")]
    public void ToSamplingParams_MinPOfAnyNumericType_IsRead(object value)
    {
        var options = new ChatOptions { AdditionalProperties = new() { ["MIN_P"] = value } };

        Assert.Equal(0.05f, ChatOptionsMapping.ToSamplingParams(options, s_client).MinP, 1e-6f);
    }

    [Fact]
    public void ToSamplingParams_MinPAsJsonElement_IsRead()
    {
        var options = new ChatOptions { AdditionalProperties = new() { ["min_p"] = JsonDocument.Parse("0.2").RootElement } };

        Assert.Equal(0.2f, ChatOptionsMapping.ToSamplingParams(options, s_client).MinP, 1e-6f);
    }

    [Fact]
    public void ToSamplingParams_MinPNotANumber_ThrowsNamingTheKey()
    {
        var options = new ChatOptions { AdditionalProperties = new() { ["min_p"] = new object() } };

        var e = Assert.Throws<ArgumentException>(() => ChatOptionsMapping.ToSamplingParams(options, s_client));
        Assert.Equal("min_p", e.ParamName);
    }

    [Fact]
    public void ToSamplingParams_RawRepresentation_IsTheStartingPoint()
    {
        var options = new ChatOptions
        {
            Temperature = 0.3f,
            RawRepresentationFactory = _ => new SamplingParams { TopK = 7, MinP = 0.1f, Temperature = 2f },
        };

        var sampling = ChatOptionsMapping.ToSamplingParams(options, s_client);

        Assert.Equal(7, sampling.TopK);
        Assert.Equal(0.1f, sampling.MinP);
        Assert.Equal(0.3f, sampling.Temperature);
    }

    [Fact]
    public void ToSamplingParams_Rules_AreSamplingParamsOwnUnderTheCallersName()
    {
        var fromOptions = Assert.Throws<ArgumentOutOfRangeException>(() => ChatOptionsMapping.ToSamplingParams(new ChatOptions { MaxOutputTokens = -3 }, s_client));
        var fromRaw = Assert.Throws<ArgumentOutOfRangeException>(() => ChatOptionsMapping.ToSamplingParams(
            new ChatOptions { Temperature = 0.5f, RawRepresentationFactory = _ => new SamplingParams { TopP = 2f } }, s_client));
        var rule = Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingParams { MaxTokens = -3 }.Validate());

        Assert.Equal("MaxOutputTokens", fromOptions.ParamName);
        Assert.StartsWith("ChatOptions.MaxOutputTokens: " + rule.Message.Split(" (Parameter")[0], fromOptions.Message);
        Assert.Equal("TopP", fromRaw.ParamName);
        Assert.Contains("RawRepresentationFactory", fromRaw.Message);
    }

    [Fact]
    public void ToInt32Seed_SeedsOutsideInt32_FoldDeterministically()
    {
        Assert.Equal(42, ChatOptionsMapping.ToInt32Seed(42));
        Assert.Equal(-1, ChatOptionsMapping.ToInt32Seed(-1));
        long big = 1234567890123;
        Assert.Equal(ChatOptionsMapping.ToInt32Seed(big), ChatOptionsMapping.ToInt32Seed(big));
        Assert.NotEqual(ChatOptionsMapping.ToInt32Seed(big), ChatOptionsMapping.ToInt32Seed(big + 1));
    }

    [Fact]
    public void ToStopSequences_EmptyEntry_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatOptionsMapping.ToStopSequences(new ChatOptions { StopSequences = ["ok", ""] }));
        Assert.Equal("StopSequences", e.ParamName);
    }

    [Fact]
    public void ToStopSequences_List_IsCopied()
    {
        var options = new ChatOptions { StopSequences = ["a"] };

        var stops = ChatOptionsMapping.ToStopSequences(options);
        options.StopSequences.Add("b");

        Assert.Equal(["a"], stops);
    }

    private sealed class NullClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }
}
