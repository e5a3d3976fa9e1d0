using System.Text.Json;
using Json.Schema;
using Xunit;

namespace Hip.Inference.Tests.Constraints;

/// <summary>Random walks through the allowed tokens always end in a document that parses and validates against the schema.</summary>
public sealed class GrammarConstraintFuzzTests
{
    public static TheoryData<string, string> Schemas => new()
    {
        { "tool arguments", """
            {"type":"object","properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer","minimum":1,"maximum":14},
             "unit":{"type":"string","enum":["celsius","fahrenheit"]},"detailed":{"type":"boolean"}},
             "required":["city","days"],"additionalProperties":false}
            """ },
        { "AIFunctionFactory schema", """
            {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"number"},"c":{"type":["string","null"]},
             "when":{"type":"string","format":"date-time"},"id":{"type":"string","format":"uuid"},"color":{"type":"string","enum":["Red","Green"]},
             "list":{"type":"array","items":{"type":"integer"}},
             "node":{"type":["object","null"],"properties":{"name":{"type":["string","null"]},"children":{"type":["array","null"],"items":{"$ref":"#/properties/node"}}},"required":["name","children"]},
             "opt":{"type":"integer","default":3}},"required":["a","b","c","when","id","color","list","node"]}
            """ },
        { "recursive structured output", """
            {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"city":{"description":"City","type":"string"},
             "degrees":{"type":"integer"},"sky":{"type":"string","enum":["Red","Green"]},
             "tomorrow":{"type":["object","null"],"properties":{"city":{"type":"string"},"degrees":{"type":"integer"},"sky":{"type":"string","enum":["Red","Green"]},
             "tomorrow":{"$ref":"#/properties/tomorrow"}},"required":["city","degrees","sky","tomorrow"]}},"required":["city","degrees","sky","tomorrow"]}
            """ },
        { "$defs, bounded numbers", """
            {"$defs":{"Point":{"type":"object","properties":{"x":{"type":"number","exclusiveMinimum":-1.5,"maximum":2.25},"y":{"type":"number"}},"required":["x","y"]}},
             "type":"array","items":{"$ref":"#/$defs/Point"},"minItems":1,"maxItems":3}
            """ },
        { "anyOf with const discriminators", """
            {"anyOf":[{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number","minimum":0}},"required":["kind","r"],"additionalProperties":false},
                      {"type":"object","properties":{"kind":{"const":"square"},"side":{"type":"integer"}},"required":["kind","side"],"additionalProperties":false}]}
            """ },
        { "oneOf, definitions, nullable", """
            {"definitions":{"Name":{"type":"string","minLength":2,"maxLength":5}},"type":"object",
             "properties":{"who":{"oneOf":[{"$ref":"#/definitions/Name"},{"type":"null"}]},"tag":{"type":["string","null"]},"n":{"enum":[1,12,123,"x",null,true]}},
             "required":["who","n"]}
            """ },
        { "patterns", """
            {"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{2}-\\d{3}$"},"span":{"type":"string","pattern":"^-?(\\d+\\.)?\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,7})?$"},
             "word":{"type":"string","pattern":"ab+c"}},"required":["code","span","word"]}
            """ },
        { "dictionary", """{"type":"object","additionalProperties":{"type":"integer","minimum":0}}""" },
        { "wrapped integer", """{"type":"object","properties":{"data":{"type":"integer"}},"additionalProperties":false,"required":["data"]}""" },
        { "non-ASCII", """{"type":"object","properties":{"word":{"enum":["café","naïve","日本"]},"free":{"type":"string","maxLength":6}},"required":["word","free"]}""" },
        { "type list", """{"type":"array","items":{"type":["number","string","null","boolean"]},"maxItems":4}""" },
        { "negative integer range", """{"type":"integer","minimum":-50,"exclusiveMaximum":-7}""" },
        { "nested arrays", """{"type":"array","items":{"type":"array","items":{"type":"boolean"},"maxItems":2},"maxItems":2}""" },
        { "formats", """
            {"type":"object","properties":{"mail":{"type":"string","format":"email"},"site":{"type":"string","format":"uri"},"ip":{"type":"string","format":"ipv4"},
             "day":{"type":"string","format":"date"}},"required":["mail","site","ip","day"]}
            """ },
        { "any value", "true" },
        { "untyped with keywords", """{"properties":{"a":{}},"required":["a"],"additionalProperties":false}""" },
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public void RandomTokens_Tok512_GiveValidDocuments(string name, string schema) => Fuzz(name, schema, ConstraintTestData.Tok512, runs: 40);

    [Theory]
    [MemberData(nameof(Schemas))]
    public void RandomTokens_Llama2Vocabulary_GiveValidDocuments(string name, string schema) => Fuzz(name, schema, ConstraintTestData.Llama2, runs: 6);

    [Fact]
    public void RandomTokens_AnyJsonObject_GiveParsableObjects()
    {
        var vocabulary = TokenVocabulary.For(ConstraintTestData.Tok512);
        var grammar = Grammar.AnyJson(objectOnly: true, ConstraintTestData.Small);
        var random = new Random(7);
        for (int run = 0; run < 40; run++)
        {
            string text = ConstraintTestData.RandomDocument(new GrammarConstraint(vocabulary, grammar), vocabulary, random);
            using var document = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
    }

    private static void Fuzz(string name, string schemaText, HipTokenizer tokenizer, int runs)
    {
        var vocabulary = TokenVocabulary.For(tokenizer);
        var grammar = Grammar.FromJsonSchema(schemaText, ConstraintTestData.Small);
        var schema = JsonSchema.FromText(schemaText, new BuildOptions { Dialect = Dialect.Draft202012.With([], allowUnknownKeywords: true) });
        var random = new Random(name.Length * 31 + runs);
        for (int run = 0; run < runs; run++)
        {
            string text = ConstraintTestData.RandomDocument(new GrammarConstraint(vocabulary, grammar), vocabulary, random);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"{name}: not JSON ({e.Message}): {text}");
            }
            using (document)
            {
                var result = schema.Evaluate(document.RootElement, new EvaluationOptions { RequireFormatValidation = true, OutputFormat = OutputFormat.List });
                Assert.True(result.IsValid, $"{name}: invalid under the schema: {text}\n{JsonSerializer.Serialize(result)}");
                Assert.True(grammar.Matches(text), $"{name}: the grammar does not match its own output: {text}");
            }
        }
    }
}
