using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Xunit;

namespace Hip.SemanticKernel.Tests;

public sealed class HipPromptExecutionSettingsTests
{
    [Fact]
    public void ToChatOptions_EverySetting_MapsToChatOptions()
    {
        var settings = new HipPromptExecutionSettings
        {
            ModelId = "stories260K", Temperature = 0.5f, TopP = 0.9f, TopK = 20, MaxTokens = 33, Seed = 9, StopSequences = ["END"],
            FrequencyPenalty = 0.1f, PresencePenalty = 0.2f, MinP = 0.05f, ChatSystemPrompt = "Be brief.", IgnoreEos = true,
        };

        var options = settings.ToChatOptions(kernel: null);

        Assert.Equal("stories260K", options.ModelId);
        Assert.Equal(0.5f, options.Temperature);
        Assert.Equal(0.9f, options.TopP);
        Assert.Equal(20, options.TopK);
        Assert.Equal(33, options.MaxOutputTokens);
        Assert.Equal(9L, options.Seed);
        Assert.Equal(["END"], options.StopSequences!);
        Assert.Equal(0.1f, options.FrequencyPenalty);
        Assert.Equal(0.2f, options.PresencePenalty);
        Assert.Equal("Be brief.", options.Instructions);
        Assert.Equal(0.05, Convert.ToDouble(options.AdditionalProperties!["min_p"]), 1e-6);
        Assert.Equal(true, options.AdditionalProperties["ignore_eos"]);
        var sampling = ChatOptionsMapping.ToSamplingParams(options, new HipChatClient(SharedModel.Engine));
        Assert.Equal(0.05f, sampling.MinP, 1e-6f);
        Assert.False(sampling.StopAtEndOfSequence);
    }

    [Fact]
    public void ToChatOptions_UnsetSettings_LeaveOptionsUnset()
    {
        var options = new HipPromptExecutionSettings { Temperature = 0 }.ToChatOptions(kernel: null);

        Assert.Equal(0f, options.Temperature);
        Assert.Null(options.TopP);
        Assert.Null(options.MaxOutputTokens);
        Assert.Null(options.AdditionalProperties);
    }

    [Fact]
    public void FromExecutionSettings_GenericSettings_ReadsTheirExtensionData()
    {
        var generic = new PromptExecutionSettings
        {
            ModelId = "m",
            ExtensionData = new Dictionary<string, object> { ["temperature"] = 0.25, ["max_tokens"] = "12", ["min_p"] = 0.1, ["stop_sequences"] = new[] { "x" } },
        };

        var settings = HipPromptExecutionSettings.FromExecutionSettings(generic);

        Assert.Equal(0.25f, settings.Temperature);
        Assert.Equal(12, settings.MaxTokens);
        Assert.Equal(0.1f, settings.MinP);
        Assert.Equal(["x"], settings.StopSequences!);
        Assert.Equal("m", settings.ModelId);
        Assert.Same(settings, HipPromptExecutionSettings.FromExecutionSettings(settings));
        Assert.NotNull(HipPromptExecutionSettings.FromExecutionSettings(null));
    }

    [Fact]
    public void Freeze_ThenSet_Throws()
    {
        var settings = new HipPromptExecutionSettings { StopSequences = ["a"] };
        settings.Freeze();

        Assert.Throws<InvalidOperationException>(() => settings.Temperature = 1);
        Assert.ThrowsAny<NotSupportedException>(() => settings.StopSequences!.Add("b"));
    }

    [Fact]
    public void Clone_CopiesEverySetting()
    {
        var settings = new HipPromptExecutionSettings { Temperature = 0.1f, TopK = 3, Seed = 4, StopSequences = ["s"], MinP = 0.2f, ServiceId = "hip" };

        var clone = Assert.IsType<HipPromptExecutionSettings>(settings.Clone());

        Assert.Equal((0.1f, 3, 4L, 0.2f, "hip"), (clone.Temperature, clone.TopK, clone.Seed, clone.MinP, clone.ServiceId));
        Assert.Equal(["s"], clone.StopSequences!);
        Assert.NotSame(settings.StopSequences, clone.StopSequences);
    }
}
