using Xunit;

namespace Hip.Inference.Tests.Constraints;

public sealed class JsonSchemaGrammarTests
{
    [Theory]
    [InlineData("""{"type":"object","patternProperties":{"^x":{}}}""", "patternProperties", "'#'")]
    [InlineData("""{"type":"object","properties":{"tags":{"type":"array","uniqueItems":true}}}""", "uniqueItems", "'#/properties/tags'")]
    [InlineData("""{"properties":{"n":{"type":"number","multipleOf":0.5}}}""", "multipleOf", "'#/properties/n'")]
    [InlineData("""{"properties":{"s":{"type":"string","format":"hostname"}}}""", "format", "'#/properties/s'")]
    [InlineData("""{"properties":{"s":{"type":"string","pattern":"(?=a)b"}}}""", "pattern", "'#/properties/s'")]
    [InlineData("""{"$defs":{"a":{"not":{"type":"null"}}},"$ref":"#/$defs/a"}""", "not", "'#/$defs/a'")]
    [InlineData("""{"allOf":[{"type":"string"},{"maxLength":3}]}""", "allOf", "'#'")]
    [InlineData("""{"$ref":"https://example.com/schema.json"}""", "$ref", "'#'")]
    [InlineData("""{"type":"array","items":[{"type":"string"}]}""", "items", "'#'")]
    public void FromJsonSchema_UnsupportedKeyword_ThrowsNamingKeywordAndPath(string schema, string keyword, string path)
    {
        var e = Assert.Throws<NotSupportedException>(() => Grammar.FromJsonSchema(schema));

        Assert.Contains($"'{keyword}'", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("[1, 2]", "'#'")]
    [InlineData("""{"type":"strin"}""", "#/type")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","maxLength":-1}}}""", "#/properties/a/maxLength")]
    [InlineData("""{"type":"object","required":"a"}""", "#/required")]
    [InlineData("""{"type":"object","properties":{"a":{"enum":"x"}}}""", "#/properties/a/enum")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "#/$ref")]
    [InlineData("""{"properties":{"a":5}}""", "#/properties/a")]
    public void FromJsonSchema_InvalidSchema_ThrowsArgumentExceptionWithPath(string schema, string path)
    {
        var e = Assert.Throws<ArgumentException>(() => Grammar.FromJsonSchema(schema));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void FromJsonSchema_RequiredRecursion_ThrowsNotSupportedNamingTheRef()
    {
        var e = Assert.Throws<NotSupportedException>(() => Grammar.FromJsonSchema("""
            {"type":"object","properties":{"next":{"$ref":"#"}},"required":["next"]}
            """));

        Assert.Contains("'$ref'", e.Message);
        Assert.Contains("#/properties/next/$ref", e.Message);
    }

    [Fact]
    public void FromJsonSchema_OptionalRecursion_IsUnrolledToTheDepthLimit()
    {
        var grammar = Grammar.FromJsonSchema("""
            {"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}},"required":["name"]}
            """, new JsonGrammarOptions { MaxRefDepth = 2 });

        Assert.True(grammar.Matches("""{"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]}"""));
        Assert.False(grammar.IsPrefix("""{"name":"a","children":[{"name":"b","children":[{"name":"c","children":[{"""));
    }

    [Fact]
    public void FromJsonSchema_Contradiction_ThrowsArgumentException()
    {
        var e = Assert.Throws<ArgumentException>(() => Grammar.FromJsonSchema("""{"type":"integer","minimum":5,"maximum":4}"""));

        Assert.Contains("cannot be satisfied", e.Message);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]}""",
        new[] { """{"a":1,"b":"x"}""", """{"b":"x"}""", """ { "a" : -12 , "b" : "" } """ },
        new[] { """{"b":"x","a":1}""", """{"a":1}""", """{"b":"x","c":1}""", """{"a":01,"b":""}""" })]
    [InlineData("""{"enum":["red","green",3,null]}""", new[] { "\"red\"", "3", "null" }, new[] { "\"blue\"", "4", "\"Red\"" })]
    [InlineData("""{"const":{"k":[1,2]}}""", new[] { """{"k":[1,2]}""" }, new[] { """{"k":[1]}""", """{ "k":[1,2]}""" })]
    [InlineData("""{"type":"integer","minimum":-3,"exclusiveMaximum":10}""", new[] { "-3", "0", "9" }, new[] { "-4", "10", "1.5", "-0.5" })]
    [InlineData("""{"type":"number","minimum":0.25,"maximum":1}""", new[] { "0.25", "1", "0.5", "1.0" }, new[] { "0.2", "1.01", "-1", "2" })]
    [InlineData("""{"type":"string","minLength":2,"maxLength":3}""", new[] { "\"ab\"", "\"abc\"", "\"é\\n\"" }, new[] { "\"a\"", "\"abcd\"" })]
    [InlineData("""{"type":"string","format":"date-time"}""", new[] { "\"2024-02-28T13:45:00Z\"", "\"2024-12-31T23:59:59.1234567+01:00\"" },
        new[] { "\"2024-02-30T13:45:00Z\"", "\"2024-1-01T00:00:00Z\"", "\"2024-01-01 00:00:00Z\"" })]
    [InlineData("""{"type":"string","format":"uuid"}""", new[] { "\"0f8fad5b-d9cb-469f-a165-70867728950e\"" }, new[] { "\"0f8fad5b-d9cb-469f-a165\"" })]
    [InlineData("""{"type":"string","pattern":"^[a-c]+x?$"}""", new[] { "\"abc\"", "\"ax\"" }, new[] { "\"x\"", "\"abcd\"", "\"a\\\\x\"" })]
    [InlineData("""{"type":["boolean","null"]}""", new[] { "true", "null" }, new[] { "\"true\"", "0" })]
    [InlineData("""{"type":"object","additionalProperties":{"type":"integer"}}""", new[] { "{}", """{"x":1,"y":2}""" }, new[] { """{"x":"1"}""" })]
    [InlineData("""{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2}""", new[] { "[1]", "[1, 2]" }, new[] { "[]", "[1,2,3]" })]
    [InlineData("""{"type":"string","nullable":true}""", new[] { "\"a\"", "null" }, new[] { "1" })]
    public void Matches_Schema_AcceptsValidAndRejectsInvalid(string schema, string[] valid, string[] invalid)
    {
        var grammar = Grammar.FromJsonSchema(schema);

        foreach (var text in valid)
            Assert.True(grammar.Matches(text), $"should match: {text}");
        foreach (var text in invalid)
            Assert.False(grammar.Matches(text), $"should not match: {text}");
    }

    [Fact]
    public void Matches_Whitespace_IsBoundedLikeLlamaCpp()
    {
        var grammar = Grammar.FromJsonSchema("""{"type":"array","items":{"type":"integer"}}""", new JsonGrammarOptions { MaxIndent = 2 });

        Assert.True(grammar.Matches("[\n  1, 2 ]"));
        Assert.False(grammar.Matches("[  1]"));        // two spaces: only a newline may start a longer run
        Assert.False(grammar.Matches("[\n   1]"));     // indent beyond MaxIndent
        Assert.False(grammar.Matches("[ \n1]"));
    }

    [Fact]
    public void Matches_StringsWithoutMaxLength_AreCapped()
    {
        var grammar = Grammar.FromJsonSchema("""{"type":"string"}""", new JsonGrammarOptions { MaxStringLength = 4 });

        Assert.True(grammar.Matches("\"abcd\""));
        Assert.False(grammar.IsPrefix("\"abcde"));
    }

    [Fact]
    public void AnyJson_ObjectOnly_RejectsOtherValues()
    {
        var grammar = Grammar.AnyJson();

        Assert.True(grammar.Matches("""{"a":[1,{"b":null}],"c":"d"}"""));
        Assert.False(grammar.Matches("[1]"));
        Assert.False(grammar.Matches("\"x\""));
    }
}
