using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Hip.Inference.Tests.Constraints;

public sealed class GrammarConstraintSpeedTests(ITestOutputHelper output)
{
    [Fact]
    public void Apply_Llama2Vocabulary_StepTakesWellUnderFiveMilliseconds()
    {
        var watch = Stopwatch.StartNew();
        var vocabulary = new TokenVocabulary(ConstraintTestData.Llama2);
        output.WriteLine($"vocabulary of {vocabulary.Count}: {watch.Elapsed.TotalMilliseconds:F0} ms");
        var grammar = Grammar.FromJsonSchema("""
            {"type":"object","properties":{"query":{"type":"string","maxLength":200},"path":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":100},
             "kinds":{"type":"array","items":{"type":"string","enum":["file","folder","symbol"]}},"when":{"type":"string","format":"date-time"}},
             "required":["query","path","limit","kinds","when"]}
            """);
        var random = new Random(3);
        var logits = new float[vocabulary.Count];
        var steps = new List<double>();
        for (int run = 0; run < 3; run++)
        {
            var constraint = new GrammarConstraint(vocabulary, grammar);
            while (!constraint.IsComplete && steps.Count < 3000)
            {
                Array.Clear(logits);
                long start = Stopwatch.GetTimestamp();
                constraint.Apply(logits);
                steps.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                var allowed = Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).ToArray();
                // prefer short tokens that close things, so the walk visits every kind of state
                Constrain(constraint, allowed, random, vocabulary);
            }
        }
        steps.Sort();
        double mean = steps.Average(), p99 = steps[(int)(steps.Count * 0.99)];
        output.WriteLine($"{steps.Count} steps: mean {mean:F3} ms, median {steps[steps.Count / 2]:F3} ms, p99 {p99:F3} ms, max {steps[^1]:F3} ms");
        Assert.True(mean < 5.0, $"mean step {mean:F3} ms");   // about 0.4 ms on an idle 2-core machine; loose for shared CI
    }

    private static void Constrain(GrammarConstraint constraint, int[] allowed, Random random, TokenVocabulary vocabulary)
    {
        int id = allowed[random.Next(allowed.Length)];
        constraint.Accept(id);
    }
}
