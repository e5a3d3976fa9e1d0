namespace Hip.Inference;

/// <summary>What a piece of a rendered prompt is, which decides how it is tokenized.</summary>
internal enum ChatTemplatePartKind
{
    /// <summary>Text written by the template: its special markers become single special tokens.</summary>
    Template,
    /// <summary>A message's own text: always ordinary text, even if it spells a special marker.</summary>
    Content,
    /// <summary>The tokenizer's begin-of-sequence token.</summary>
    Bos,
    /// <summary>The tokenizer's end-of-sequence token.</summary>
    Eos,
}

/// <summary>A piece of a rendered prompt; <see cref="Text"/> is how it prints (for BOS/EOS the family's usual spelling).</summary>
internal readonly record struct ChatTemplatePart(ChatTemplatePartKind Kind, string Text);
