using System.Text;
using Xunit;

namespace Hip.Inference.Tests.Constraints;

public sealed class GrammarConstraintTests
{
    private static readonly TokenVocabulary s_vocabulary = TokenVocabulary.For(ConstraintTestData.Tok512);
    private static readonly Grammar s_call = Grammar.FromJsonSchema("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""");

    private static int Id(string text) => ConstraintTestData.Tok512.Encode(text, addBos: false).Single();

    /// <summary>Writes <paramref name="text"/> one byte-fallback token per byte (tok512's &lt;0xNN&gt; is id 3 + NN).</summary>
    private static void Write(GrammarConstraint constraint, string text)
    {
        foreach (int id in Encoding.UTF8.GetBytes(text).Select(b => 3 + b))
        {
            Assert.Contains(id, ConstraintTestData.Allowed(constraint, s_vocabulary.Count));
            constraint.Accept(id);
        }
    }

    [Fact]
    public void TokenVocabulary_Tok512_MapsPiecesToTheirBytes()
    {
        var tokenizer = ConstraintTestData.Tok512;

        Assert.True(s_vocabulary.IsSpecial(tokenizer.BosId));
        Assert.True(s_vocabulary.IsSpecial(tokenizer.EosId));
        Assert.True(s_vocabulary.IsSpecial(0));                           // <unk>
        Assert.Equal("\n"u8.ToArray(), s_vocabulary.GetBytes(3 + '\n').ToArray());   // <0x0A>
        Assert.Equal(" Lily"u8.ToArray(), s_vocabulary.GetBytes(Id(" Lily")).ToArray());  // ▁Lily
    }

    [Fact]
    public void Apply_InsideAString_NeverAllowsSpecialTokens()
    {
        var constraint = new GrammarConstraint(s_vocabulary, Grammar.FromJsonSchema("""{"type":"string"}"""));
        Write(constraint, "\"Once");

        var allowed = ConstraintTestData.Allowed(constraint, s_vocabulary.Count);

        Assert.DoesNotContain(ConstraintTestData.Tok512.EosId, allowed);
        Assert.DoesNotContain(ConstraintTestData.Tok512.BosId, allowed);
        Assert.Contains(Id(" Lily"), allowed);
        Assert.DoesNotContain(3 + '\n', allowed);                       // a raw newline must be escaped
        Assert.DoesNotContain(3 + 0xC3, ConstraintTestData.Allowed(WithPending(), s_vocabulary.Count));

        static GrammarConstraint WithPending()
        {
            var c = new GrammarConstraint(s_vocabulary, Grammar.FromJsonSchema("""{"type":"string"}"""));
            c.Accept(3 + '"');
            c.Accept(3 + 0xC3);                                         // the lead byte of é: only a continuation byte may follow
            return c;
        }
    }

    [Fact]
    public void Apply_CompleteNumberThatCouldGoOn_AllowsEndOfSequence()
    {
        var constraint = new GrammarConstraint(s_vocabulary, Grammar.FromJsonSchema("""{"type":"integer"}"""));
        Write(constraint, "12");

        Assert.Contains(ConstraintTestData.Tok512.EosId, ConstraintTestData.Allowed(constraint, s_vocabulary.Count));
        Assert.False(constraint.IsComplete);
        constraint.Accept(ConstraintTestData.Tok512.EosId);
        Assert.True(constraint.IsComplete);
    }

    [Fact]
    public void Accept_ClosingBrace_CompletesTheDocument()
    {
        var constraint = new GrammarConstraint(s_vocabulary, s_call);

        Write(constraint, "{\"n\": 7");
        Assert.DoesNotContain(ConstraintTestData.Tok512.EosId, ConstraintTestData.Allowed(constraint, s_vocabulary.Count));
        Write(constraint, "}");

        Assert.True(constraint.IsComplete);
        Assert.Equal(GrammarPhase.Ended, constraint.Phase);
        Assert.Equal("{\"n\": 7}", constraint.GrammarText);
    }

    [Fact]
    public void Accept_TokenTheMaskForbids_Throws()
    {
        var constraint = new GrammarConstraint(s_vocabulary, s_call);

        Assert.Throws<InvalidOperationException>(() => constraint.Accept(Id(" Lily")));
    }

    [Fact]
    public void InsteadMode_TextThatDoesNotOpenWithTheTrigger_IsFree()
    {
        var constraint = new GrammarConstraint(s_vocabulary, s_call, new GrammarConstraintOptions { TextMode = GrammarTextMode.Instead, Trigger = "{" });
        Assert.Equal(GrammarPhase.Pending, constraint.Phase);

        constraint.Accept(Id(" Lily"));

        Assert.Equal(GrammarPhase.Text, constraint.Phase);
        Assert.False(constraint.StartedGrammar);
        var logits = new float[s_vocabulary.Count];
        constraint.Apply(logits);
        Assert.DoesNotContain(float.NegativeInfinity, logits);          // free text is not constrained
    }

    [Fact]
    public void InsteadMode_TriggerAtTheStart_ConstrainsTheRest()
    {
        var constraint = new GrammarConstraint(s_vocabulary, s_call, new GrammarConstraintOptions { TextMode = GrammarTextMode.Instead, Trigger = "{" });

        constraint.Accept(3 + ' ');
        Assert.Equal(GrammarPhase.Pending, constraint.Phase);
        constraint.Accept(3 + '{');

        Assert.True(constraint.StartedGrammar);
        Assert.Equal(GrammarPhase.Grammar, constraint.Phase);
        Assert.DoesNotContain(Id(" Lily"), ConstraintTestData.Allowed(constraint, s_vocabulary.Count));
        Write(constraint, "\"n\":1}");
        Assert.True(constraint.IsComplete);
        Assert.Equal(" {\"n\":1}", constraint.GrammarText);
    }

    [Fact]
    public void BeforeMode_TextThenTrigger_ConstrainsFromTheTrigger()
    {
        var grammar = Grammar.Sequence(Grammar.Literal("<call>"), s_call, Grammar.Literal("</call>"));
        var constraint = new GrammarConstraint(s_vocabulary, grammar, new GrammarConstraintOptions { TextMode = GrammarTextMode.Before, Trigger = "<call>" });

        Write(constraint, "Once upon a time <ca");
        Assert.Equal(GrammarPhase.Pending, constraint.Phase);
        Write(constraint, "ll>");

        Assert.True(constraint.StartedGrammar);
        Write(constraint, "{\"n\":3}</call>");
        Assert.True(constraint.IsComplete);
        Assert.Equal("<call>{\"n\":3}</call>", constraint.GrammarText);
    }

    [Fact]
    public void Constructor_GrammarNotStartingWithTheTrigger_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GrammarConstraint(s_vocabulary, s_call,
            new GrammarConstraintOptions { TextMode = GrammarTextMode.Instead, Trigger = "[" }));
    }

    [Fact]
    public void SpecialTokenOption_IsAllowedAsItsSpelling()
    {
        var grammar = Grammar.Sequence(Grammar.Literal("[CALL]"), s_call);
        int special = ConstraintTestData.Tok512.BosId;   // stands in for a model's [TOOL_CALLS] control token
        var constraint = new GrammarConstraint(s_vocabulary, grammar, new GrammarConstraintOptions
        {
            TextMode = GrammarTextMode.Instead, Trigger = "[CALL]", SpecialTokens = new Dictionary<int, string> { [special] = "[CALL]" },
        });

        constraint.Accept(special);

        Assert.True(constraint.StartedGrammar);
        Assert.Contains(3 + '{', ConstraintTestData.Allowed(constraint, s_vocabulary.Count));
        Assert.Equal("[CALL]", constraint.GrammarText);
    }
}
