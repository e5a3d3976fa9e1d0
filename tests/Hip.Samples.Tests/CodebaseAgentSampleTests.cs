using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Hip.Samples.Tests;

public sealed class CodebaseAgentSampleTests : IDisposable
{
    private const string Sample = "Hip.Samples.CodebaseAgent";
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("hip-codebase-agent-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task Run_TinyFolder_LoadsTheTextFilesPrefillsOnceAndAnswers()
    {
        Write("story.txt", "Tom had a red ball.\n");
        Write("notes/lily.md", "Lily liked the park.\n");
        Write("secret.txt", "Nobody may read this.\n");
        Write(".gitignore", "secret.txt\n");
        File.WriteAllBytes(Path.Combine(_folder.FullName, "picture.txt"), [0x89, 0x50, 0x4E, 0x47, 0x00, 0x0A]);   // a NUL byte: binary

        var result = await SampleRunner.RunAsync(Sample, _folder.FullName,
            "--question", "What is in the story?", "--max-tokens", "8", "--context", "2048");

        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Matches(@"\d+ tokens  story\.txt\n", result.Errors);   // the listing of loaded files, on stderr
        Assert.Matches(@"\d+ tokens  notes/lily\.md\n", result.Errors);
        Assert.DoesNotContain("secret.txt", result.Errors);
        Assert.DoesNotContain("picture.txt", result.Errors);
        Assert.Contains("left out: 1 ignored by .gitignore, 1 binary", result.Errors);

        var lines = result.Output.Split('\n');
        int asked = Array.IndexOf(lines, "> What is in the story?");
        Assert.True(asked >= 0, result.Output);
        Assert.True(asked + 1 < lines.Length && lines[asked + 1].Trim().Length > 0, $"no answer: '{result.Output}'");

        // the question continues the prefilled folder: every prefilled token is served from the prefix cache
        // with stderr redirected, each step is one plain line when done (no bar drawn, no escape codes)
        Assert.Matches(@"(?m)^load     (\d+)/\1 files  [\d,]+ tokens from ", result.Errors);
        Assert.DoesNotContain("\u001b", result.Errors);
        int prefilled = Number(Regex.Match(result.Errors, @"(?m)^prefill  ([\d,]+)/\1 tokens  [\d,]+ tokens/s, [\d.]+ s$"));
        var usage = Regex.Match(result.Errors, @"prompt ([\d,]+) tokens \(([\d,]+) cached, ([\d,]+) prefilled\), output 8 tokens, first token [\d.]+ s");
        Assert.True(usage.Success, result.Errors);
        Assert.Equal(prefilled, Number(usage, group: 2));
        Assert.True(Number(usage) > prefilled);
    }

    [Fact]
    public async Task Run_FolderLargerThanTheContext_ExitsWith3AndTheNumbers()
    {
        Write("long.txt", string.Concat(Enumerable.Repeat("Tom and Lily went to the park to play with the red ball.\n", 12)));

        var result = await SampleRunner.RunAsync(Sample, _folder.FullName, "--question", "Why?", "--max-tokens", "8", "--context", "256");

        Assert.True(result.ExitCode == 3, result.Errors);
        var message = Regex.Match(result.Errors, @"does not fit the context: it needs ([\d,]+) tokens .* the context holds 256\. Raise --context");
        Assert.True(message.Success, result.Errors);
        Assert.True(Number(message) > 256, result.Errors);
        Assert.Contains("long.txt", result.Errors);
        Assert.Equal("", result.Output.Trim());
    }

    [Fact]
    public async Task Run_NoContextOption_SizesTheContextToTheFolder()
    {
        Write("story.txt", "Tom had a red ball.\n");

        var result = await SampleRunner.RunAsync(Sample, _folder.FullName, "--question", "Who?", "--max-tokens", "4");

        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Matches(@"context sized to [\d,]+ tokens for this folder", result.Errors);
        Assert.Contains("> Who?", result.Output);
    }

    [Fact]
    public async Task Run_LinksPipesAndLoops_AreSkippedNeverRead()
    {
        if (OperatingSystem.IsWindows())
            return;   // symbolic links and named pipes as on Linux and macOS
        var outside = Directory.CreateTempSubdirectory("hip-codebase-outside-");
        try
        {
            File.WriteAllText(Path.Combine(outside.FullName, "secret.txt"), "PASSWORD-1234\n");
            Write("story.txt", "Tom had a red ball.\n");
            Write("inner.txt", "Lily liked the park.\n");
            string root = _folder.FullName;
            File.CreateSymbolicLink(Path.Combine(root, "leak.txt"), Path.Combine(outside.FullName, "secret.txt"));   // a file link out
            Directory.CreateSymbolicLink(Path.Combine(root, "out"), outside.FullName);                                 // a folder link out
            File.CreateSymbolicLink(Path.Combine(root, "via.txt"), Path.Combine(root, "out", "secret.txt"));           // out through a folder link
            File.CreateSymbolicLink(Path.Combine(root, "dangling.txt"), Path.Combine(root, "missing.txt"));
            File.CreateSymbolicLink(Path.Combine(root, "loop-a.txt"), Path.Combine(root, "loop-b.txt"));
            File.CreateSymbolicLink(Path.Combine(root, "loop-b.txt"), Path.Combine(root, "loop-a.txt"));
            File.CreateSymbolicLink(Path.Combine(root, "alias.txt"), Path.Combine(root, "inner.txt"));                // inside: kept
            using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(root, "pipe.txt")))
                mkfifo.WaitForExit();

            var result = await SampleRunner.RunAsync(Sample, root, "--question", "What is the password?", "--max-tokens", "4", "--context", "2048");

            Assert.True(result.ExitCode == 0, result.Errors);
            Assert.DoesNotContain("PASSWORD", result.Output + result.Errors);
            Assert.Matches(@"\d+ tokens  story\.txt\n", result.Errors);
            Assert.Matches(@"\d+ tokens  alias\.txt\n", result.Errors);
            var left = Regex.Match(result.Errors, @"left out: .*, (\d+) not regular files inside the folder .*: (.*)");
            Assert.True(left.Success, result.Errors);
            Assert.Equal(7, Number(left));
            foreach (string name in new[] { "leak.txt", "out", "via.txt", "dangling.txt", "loop-a.txt", "loop-b.txt", "pipe.txt" })
                Assert.Contains(name, left.Groups[2].Value);
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Run_UnknownOption_PrintsUsage()
    {
        var result = await SampleRunner.RunAsync(Sample, "--bogus");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage:", result.Errors);
    }

    private void Write(string relativePath, string text)
    {
        string path = Path.Combine(_folder.FullName, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static int Number(Match match, int group = 1)
    {
        Assert.True(match.Success, "pattern not found");
        return int.Parse(match.Groups[group].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }
}
