namespace Hip.Inference;

/// <summary>
/// A custom chat template made of plain format strings (bindable from configuration). Placeholders, spelled exactly:
/// <c>{role}</c> (system, user, assistant), <c>{content}</c> (the message text, never parsed for special tokens),
/// <c>{bos}</c> and <c>{eos}</c> (the tokenizer's begin/end-of-sequence tokens). Any other text is written as is, and
/// special tokens the model's vocabulary knows (such as <c>&lt;|im_start|&gt;</c>) become single tokens.
/// </summary>
/// <example>ChatML: <c>new ChatTemplateFormat { Message = "&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n", StopSequences = ["&lt;|im_end|&gt;"] }</c>.</example>
public sealed class ChatTemplateFormat
{
    /// <summary>Written once before the first message; default <c>{bos}</c>.</summary>
    public string Prefix { get; set; } = "{bos}";

    /// <summary>The layout of every message whose role has no layout of its own; must contain <c>{content}</c>.</summary>
    public string? Message { get; set; }

    /// <summary>Layout of system messages (instead of <see cref="Message"/>).</summary>
    public string? System { get; set; }

    /// <summary>Layout of user messages (instead of <see cref="Message"/>).</summary>
    public string? User { get; set; }

    /// <summary>Layout of assistant messages (instead of <see cref="Message"/>).</summary>
    public string? Assistant { get; set; }

    /// <summary>Written after the last message to start the answer; default: the assistant layout up to <c>{content}</c>.</summary>
    public string? GenerationPrompt { get; set; }

    /// <summary>Text (or special tokens) that end the model's turn, besides end-of-sequence.</summary>
    public IList<string> StopSequences { get; set; } = [];

    public const string RolePlaceholder = "{role}";
    public const string ContentPlaceholder = "{content}";
    public const string BosPlaceholder = "{bos}";
    public const string EosPlaceholder = "{eos}";

    /// <summary>The layout used for <paramref name="role"/>.</summary>
    public string? LayoutFor(string role) => role switch
    {
        ChatTemplateMessage.SystemRole => System ?? Message,
        ChatTemplateMessage.UserRole => User ?? Message,
        ChatTemplateMessage.AssistantRole => Assistant ?? Message,
        _ => Message,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first property that cannot render every role.</summary>
    public void Validate()
    {
        foreach (var (role, own) in new[] { (nameof(System), System), (nameof(User), User), (nameof(Assistant), Assistant) })
        {
            string property = own is null ? nameof(Message) : role;
            string? layout = own ?? Message;
            if (layout is null)
                throw new ArgumentException($"ChatTemplateFormat.{role} is missing: set {role} or Message (a layout with {ContentPlaceholder}).", role);
            if (!layout.Contains(ContentPlaceholder, StringComparison.Ordinal))
                throw new ArgumentException($"ChatTemplateFormat.{property} '{layout}' has no {ContentPlaceholder} placeholder.", property);
        }
        if (Prefix is null)
            throw new ArgumentException("ChatTemplateFormat.Prefix must not be null (use \"\" for none).", nameof(Prefix));
        if (StopSequences is null || StopSequences.Any(string.IsNullOrEmpty))
            throw new ArgumentException("ChatTemplateFormat.StopSequences must be a list of non-empty strings.", nameof(StopSequences));
    }
}
