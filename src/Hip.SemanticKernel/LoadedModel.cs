using Hip.Inference;

namespace Hip.SemanticKernel;

/// <summary>What a request needs of a loaded model: the engine and how to turn messages into its prompt.</summary>
internal sealed record LoadedModel(
    InferenceEngine Engine,
    string ModelId,
    ChatTemplate Template,
    ChatTemplateEncoder Encoder,
    IReadOnlySet<int> EndOfTurnTokenIds,
    IReadOnlyList<string> EndOfTurnTexts)   // all end-of-turn markers: a special token decodes to no text, so these only catch text
{
    /// <summary>Chooses the chat template (the options' one, else the model's own, else plain) and builds the encoder.</summary>
    public static LoadedModel Create(InferenceEngine engine, HipChatClientOptions options)
    {
        var template = options.ResolveChatTemplate() ?? ModelTemplate(engine);
        var encoder = new ChatTemplateEncoder(engine.Tokenizer, engine.Metadata);
        return new LoadedModel(engine, HipModel.IdOf(options), template, encoder,
            encoder.EndOfTurnTokenIds(template), template.EndOfTurnMarkers);
    }

    private static ChatTemplate ModelTemplate(InferenceEngine engine)
    {
        if (!engine.Metadata.TryGetValue(GgufKeys.ChatTemplate, out var value) || value is not string { Length: > 0 } jinja)
            return ChatTemplate.Plain;
        if (ChatTemplate.TryDetect(jinja, out var template))
            return template;
        throw new NotSupportedException(
            $"{engine.ModelPath}: the model's chat template ({GgufKeys.ChatTemplate}) is not one of the known families " +
            $"({string.Join(", ", ChatTemplate.FamilyNames)}). Supply one: set HipChatClientOptions.ChatTemplate to a family name, " +
            "or HipChatClientOptions.ChatTemplateFormat to a layout with {role}, {content}, {bos} and {eos} placeholders.");
    }
}
