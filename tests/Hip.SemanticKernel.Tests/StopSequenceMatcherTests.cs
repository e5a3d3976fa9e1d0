using Xunit;

namespace Hip.SemanticKernel.Tests;

public sealed class StopSequenceMatcherTests
{
    [Fact]
    public void Append_NoStops_PassesTextThrough()
    {
        var matcher = new StopSequenceMatcher([]);

        Assert.Equal("abc", matcher.Append("abc"));
        Assert.Equal("", matcher.Flush());
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void Append_StopAcrossDeltas_CutsBeforeIt()
    {
        var matcher = new StopSequenceMatcher(["<END>"]);

        string text = matcher.Append("Hello <") + matcher.Append("EN") + matcher.Append("D> more");

        Assert.Equal("Hello ", text);
        Assert.True(matcher.Stopped);
        Assert.Equal("", matcher.Append("later"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Append_PossibleStopStart_HeldBackUntilDecided()
    {
        var matcher = new StopSequenceMatcher(["stop here"]);

        Assert.Equal("go ", matcher.Append("go sto"));
        Assert.Equal("stop th", matcher.Append("p th"));
        Assert.Equal("ere ", matcher.Append("ere st"));
        Assert.False(matcher.Stopped);
        Assert.Equal("st", matcher.Flush());
    }

    [Fact]
    public void Flush_StreamEndsInsideAPossibleStop_ReturnsHeldText()
    {
        var matcher = new StopSequenceMatcher(["\n\nUser:"]);

        Assert.Equal("answer", matcher.Append("answer\n\nUs"));
        Assert.Equal("\n\nUs", matcher.Flush());
    }

    [Fact]
    public void Append_SeveralStops_CutsAtTheEarliest()
    {
        var matcher = new StopSequenceMatcher(["world", "lo w"]);

        Assert.Equal("hel", matcher.Append("hello world"));
        Assert.True(matcher.Stopped);
    }
}
