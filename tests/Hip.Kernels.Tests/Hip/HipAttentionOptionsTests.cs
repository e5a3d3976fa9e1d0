using Hip.Kernels;
using Xunit;

namespace Hip.Kernels.Tests.Hip;

public class HipAttentionOptionsTests
{
    [Fact]
    public void Validate_Defaults_Pass()
    {
        var options = new HipAttentionOptions().Validate();
        Assert.Equal(256, options.Chunks);
    }

    public static TheoryData<string, HipAttentionOptions> BadOptions => new()
    {
        { "K", new HipAttentionOptions { K = 511 } },
        { "K", new HipAttentionOptions { K = 8192 } },
        { "K", new HipAttentionOptions { K = 2048, BlockSizeK = 1 } },
        { "BlockSizeQ", new HipAttentionOptions { BlockSizeQ = 48 } },
        { "BlockStrideQ", new HipAttentionOptions { BlockStrideQ = 3 } },
        { "BlockStrideQ", new HipAttentionOptions { BlockSizeQ = 4, BlockStrideQ = 8 } },
        { "BlockSizeK", new HipAttentionOptions { BlockSizeK = 0 } },
        { "BlockStrideK", new HipAttentionOptions { BlockStrideK = 4 } },
        { "SinkTokens", new HipAttentionOptions { SinkTokens = -1 } },
        { "SinkTokens", new HipAttentionOptions { SinkTokens = 15 } },
        { "WindowTokens", new HipAttentionOptions { WindowTokens = -4 } },
        { "RefreshInterval", new HipAttentionOptions { RefreshInterval = 0 } },
        { "DenseLayers", new HipAttentionOptions { DenseLayers = -1 } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_BadOption_ThrowsNamingIt(string option, HipAttentionOptions options)
    {
        var error = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"HipAttentionOptions.{option}", error.Message);
    }
}
