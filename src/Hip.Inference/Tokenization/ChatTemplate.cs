using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Hip.Inference;

/// <summary>
/// Lays out chat messages as the prompt text a model was trained on. Templates are data: a known family, detected from
/// the GGUF <c>tokenizer.chat_template</c> text (never executed), or a <see cref="ChatTemplateFormat"/>. Roles are
/// "system", "user", "assistant" and "tool"; families without a system turn (Llama 2, Mistral, Gemma) fold system text
/// into the first user turn the way their own templates do. Tools, tool calls and tool results are written in the
/// family's own syntax (<see cref="ToolSyntax"/>); families without one get a JSON preamble and JSON replies.
/// </summary>
public sealed class ChatTemplate
{
    private readonly ChatTemplateFormat? _format;

    private ChatTemplate(ChatTemplateFamily family, string name, IReadOnlyList<string> endOfTurn, IReadOnlyList<string> specialMarkers,
        string bosText, string eosText, ChatTemplateFormat? format = null)
    {
        (Family, Name, EndOfTurnMarkers, SpecialMarkers, BosText, EosText, _format) = (family, name, endOfTurn, specialMarkers, bosText, eosText, format);
    }

    public ChatTemplateFamily Family { get; }

    /// <summary>How this family's models write tool calls, and so how tools, calls and results are rendered.</summary>
    public ChatTemplateToolSyntax ToolSyntax => Family switch
    {
        ChatTemplateFamily.Llama3 => ChatTemplateToolSyntax.Llama3,
        ChatTemplateFamily.ChatML => ChatTemplateToolSyntax.Hermes,
        ChatTemplateFamily.Mistral => ChatTemplateToolSyntax.Mistral,
        _ => ChatTemplateToolSyntax.Json,
    };

    /// <summary>The family's name as <see cref="Parse"/> accepts it ("llama3", "chatml", …; "custom" for a format).</summary>
    public string Name { get; }

    /// <summary>Markers (usually special tokens) that end the assistant's turn besides end-of-sequence.</summary>
    public IReadOnlyList<string> EndOfTurnMarkers { get; }

    /// <summary>Special-token spellings the template writes; each becomes one token when the vocabulary has it.</summary>
    public IReadOnlyList<string> SpecialMarkers { get; }

    /// <summary>How BOS prints in <see cref="Render"/> ("&lt;s&gt;", "&lt;|begin_of_text|&gt;", "&lt;bos&gt;"; empty for plain).</summary>
    public string BosText { get; }

    /// <summary>How EOS prints in <see cref="Render"/>.</summary>
    public string EosText { get; }

    public static ChatTemplate Plain { get; } = new(ChatTemplateFamily.Plain, "plain", [], [], "", "</s>");
    public static ChatTemplate Llama2 { get; } = new(ChatTemplateFamily.Llama2, "llama2", [], [], "<s>", "</s>");
    public static ChatTemplate Llama3 { get; } = new(ChatTemplateFamily.Llama3, "llama3",
        ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"],
        ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|begin_of_text|>", "<|python_tag|>"],
        "<|begin_of_text|>", "<|end_of_text|>");
    public static ChatTemplate ChatML { get; } = new(ChatTemplateFamily.ChatML, "chatml",
        ["<|im_end|>", "<|endoftext|>"],
        ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"], "", "<|endoftext|>");
    public static ChatTemplate Mistral { get; } = new(ChatTemplateFamily.Mistral, "mistral", [],
        ["[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]"], "<s>", "</s>");
    public static ChatTemplate Phi3 { get; } = new(ChatTemplateFamily.Phi3, "phi3",
        ["<|end|>", "<|endoftext|>"], ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<|endoftext|>"], "<s>", "<|endoftext|>");
    public static ChatTemplate Gemma { get; } = new(ChatTemplateFamily.Gemma, "gemma",
        ["<end_of_turn>"], ["<start_of_turn>", "<end_of_turn>"], "<bos>", "<eos>");
    public static ChatTemplate Zephyr { get; } = new(ChatTemplateFamily.Zephyr, "zephyr",
        [], ["<|system|>", "<|user|>", "<|assistant|>"], "<s>", "</s>");

    /// <summary>Names <see cref="Parse"/> accepts, one per family.</summary>
    public static IReadOnlyList<string> FamilyNames { get; } = ["plain", "llama2", "llama3", "chatml", "mistral", "phi3", "gemma", "zephyr"];

    /// <summary>The template of a known family (not <see cref="ChatTemplateFamily.Custom"/>).</summary>
    public static ChatTemplate ForFamily(ChatTemplateFamily family) => family switch
    {
        ChatTemplateFamily.Plain => Plain,
        ChatTemplateFamily.Llama2 => Llama2,
        ChatTemplateFamily.Llama3 => Llama3,
        ChatTemplateFamily.ChatML => ChatML,
        ChatTemplateFamily.Mistral => Mistral,
        ChatTemplateFamily.Phi3 => Phi3,
        ChatTemplateFamily.Gemma => Gemma,
        ChatTemplateFamily.Zephyr => Zephyr,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "Custom templates are made with FromFormat."),
    };

    /// <summary>A template from a custom format; throws <see cref="ArgumentException"/> naming what is missing.</summary>
    public static ChatTemplate FromFormat(ChatTemplateFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        format.Validate();
        var copy = new ChatTemplateFormat
        {
            Prefix = format.Prefix, Message = format.Message, System = format.System, User = format.User,
            Assistant = format.Assistant, GenerationPrompt = format.GenerationPrompt, StopSequences = [.. format.StopSequences],
        };
        var stops = copy.StopSequences.ToArray();
        return new ChatTemplate(ChatTemplateFamily.Custom, "custom", stops, stops, "<s>", "</s>", copy);
    }

    /// <summary>Recognizes a family name (case-insensitive; "llama-3", "qwen", "phi-3" and "base" are accepted too).</summary>
    public static bool TryParseFamily(string name, out ChatTemplateFamily family)
    {
        ArgumentNullException.ThrowIfNull(name);
        ChatTemplateFamily? found = name.Trim().ToLowerInvariant().Replace("-", "").Replace("_", "") switch
        {
            "plain" or "base" or "none" => ChatTemplateFamily.Plain,
            "llama2" => ChatTemplateFamily.Llama2,
            "llama3" or "llama31" or "llama3.1" => ChatTemplateFamily.Llama3,
            "chatml" or "qwen" or "qwen2" => ChatTemplateFamily.ChatML,
            "mistral" => ChatTemplateFamily.Mistral,
            "phi3" => ChatTemplateFamily.Phi3,
            "gemma" => ChatTemplateFamily.Gemma,
            "zephyr" => ChatTemplateFamily.Zephyr,
            _ => null,
        };
        family = found ?? default;
        return found is not null;
    }

    /// <summary>
    /// Recognizes the family of a Jinja chat template by its markers: <c>&lt;|start_header_id|&gt;</c> (Llama 3),
    /// <c>&lt;|im_start|&gt;</c> (ChatML), <c>&lt;start_of_turn&gt;</c> (Gemma), <c>&lt;|user|&gt;</c> with
    /// <c>&lt;|end|&gt;</c> (Phi-3) or without (Zephyr), <c>[INST]</c> with <c>&lt;&lt;SYS&gt;&gt;</c> (Llama 2) or without (Mistral).
    /// </summary>
    public static bool TryDetect(string template, [NotNullWhen(true)] out ChatTemplate? result)
    {
        ArgumentNullException.ThrowIfNull(template);
        bool Has(string marker) => template.Contains(marker, StringComparison.Ordinal);
        result =
            Has("<|start_header_id|>") ? Llama3
            : Has("<|im_start|>") ? ChatML
            : Has("<start_of_turn>") ? Gemma
            : Has("<|user|>") ? (Has("<|end|>") ? Phi3 : Zephyr)
            : Has("[INST]") ? (Has("<<SYS>>") ? Llama2 : Mistral)
            : null;
        return result is not null;
    }

    /// <summary>
    /// A family name (see <see cref="FamilyNames"/>) or the text of a Jinja chat template of a known family. Throws
    /// <see cref="ArgumentException"/> saying what is accepted.
    /// </summary>
    public static ChatTemplate Parse(string nameOrTemplate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrTemplate);
        if (TryParseFamily(nameOrTemplate, out var family))
            return ForFamily(family);
        if (TryDetect(nameOrTemplate, out var detected))
            return detected;
        throw new ArgumentException(
            $"Chat template '{Shorten(nameOrTemplate)}' is neither a family name ({string.Join(", ", FamilyNames)}) nor a Jinja template " +
            "of one of those families; describe other layouts with a ChatTemplateFormat.", nameof(nameOrTemplate));
    }

    /// <summary>
    /// The prompt text for <paramref name="messages"/>, with the assistant's generation prompt after them when
    /// <paramref name="addGenerationPrompt"/> is set, offering <paramref name="tools"/> to the model if any.
    /// BOS/EOS print as <see cref="BosText"/>/<see cref="EosText"/>.
    /// </summary>
    public string Render(IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt = true, IReadOnlyList<ChatTemplateTool>? tools = null)
    {
        var text = new StringBuilder();
        foreach (var part in RenderParts(messages, addGenerationPrompt, tools))
            text.Append(part.Text);
        return text.ToString();
    }

    /// <summary>The prompt as typed pieces, so the encoder can keep message text apart from template markers.</summary>
    internal IReadOnlyList<ChatTemplatePart> RenderParts(IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt,
        IReadOnlyList<ChatTemplateTool>? tools = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var m in messages)
        {
            ArgumentNullException.ThrowIfNull(m.Content, nameof(messages));
            if (m.Role is not (ChatTemplateMessage.SystemRole or ChatTemplateMessage.UserRole or ChatTemplateMessage.AssistantRole or ChatTemplateMessage.ToolRole))
                throw new ArgumentException($"Message role '{m.Role}' is not one of system, user, assistant, tool.", nameof(messages));
            if (m.ToolCalls is { Count: > 0 } && m.Role != ChatTemplateMessage.AssistantRole)
                throw new ArgumentException($"Only assistant messages carry tool calls; a '{m.Role}' message has {m.ToolCalls.Count}.", nameof(messages));
        }
        tools ??= [];
        var parts = new Parts(this);
        if (ToolSyntax == ChatTemplateToolSyntax.Json && (tools.Count > 0 || messages.Any(m => m.Role == ChatTemplateMessage.ToolRole || m.ToolCalls is { Count: > 0 })))
            messages = ChatTemplateTools.LowerToJson(messages, tools);
        switch (Family)
        {
            case ChatTemplateFamily.Plain: RenderPlain(parts, messages); break;
            case ChatTemplateFamily.Llama2: RenderLlama2(parts, messages); break;
            case ChatTemplateFamily.Llama3: RenderLlama3(parts, messages, addGenerationPrompt, tools); break;
            case ChatTemplateFamily.ChatML: RenderChatML(parts, messages, addGenerationPrompt, tools); break;
            case ChatTemplateFamily.Mistral: RenderMistral(parts, messages, tools); break;
            case ChatTemplateFamily.Phi3: RenderPhi3(parts, messages, addGenerationPrompt); break;
            case ChatTemplateFamily.Gemma: RenderGemma(parts, messages, addGenerationPrompt); break;
            case ChatTemplateFamily.Zephyr: RenderZephyr(parts, messages, addGenerationPrompt); break;
            default: RenderCustom(parts, messages, addGenerationPrompt, _format!); break;
        }
        return parts.List;
    }

    public override string ToString() => Name;

    // BOS, then each message's text; a base model simply continues the text
    private static void RenderPlain(Parts p, IReadOnlyList<ChatTemplateMessage> messages)
    {
        p.Bos();
        for (int i = 0; i < messages.Count; i++)
        {
            if (i > 0)
                p.Template("\n");
            p.Content(messages[i].Content);
        }
    }

    // Llama-2-chat: {bos}[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} {eos}{bos}[INST] {user} [/INST]
    private static void RenderLlama2(Parts p, IReadOnlyList<ChatTemplateMessage> messages)
    {
        var (system, turns) = SplitSystem(messages);
        foreach (var m in turns)
        {
            if (m.Role == ChatTemplateMessage.UserRole)
            {
                p.Bos();
                p.Template("[INST] ");
                if (system is not null)
                {
                    p.Template("<<SYS>>\n");
                    p.Content(system);
                    p.Template("\n<</SYS>>\n\n");
                    system = null;
                }
                p.Content(m.Content.Trim());
                p.Template(" [/INST]");
            }
            else
            {
                p.Template(" ");
                p.Content(m.Content.Trim());
                p.Template(" ");
                p.Eos();
            }
        }
    }

    // Llama 3 instruct: {bos}<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|> ... then the assistant header.
    // Llama 3.1 tools: their definitions open the first user message, a call is the JSON {"name": …, "parameters": …},
    // a result is an "ipython" turn.
    private static void RenderLlama3(Parts p, IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt, IReadOnlyList<ChatTemplateTool> tools)
    {
        string? toolText = tools.Count == 0 ? null
            : ChatTemplateTools.Llama3Preamble + string.Concat(tools.Select(t => ChatTemplateTools.FunctionDefinition(t, indent: 4) + "\n\n"));
        p.Bos();
        if (toolText is not null && !messages.Any(m => m.Role == ChatTemplateMessage.UserRole))
        {
            p.Template("<|start_header_id|>user<|end_header_id|>\n\n");
            p.Content(toolText.TrimEnd());
            p.Template("<|eot_id|>");
            toolText = null;
        }
        foreach (var m in messages)
        {
            string role = m.Role == ChatTemplateMessage.ToolRole ? ChatTemplateTools.Llama3ToolRole : m.Role;
            p.Template($"<|start_header_id|>{role}<|end_header_id|>\n\n");
            if (m.Role == ChatTemplateMessage.UserRole && toolText is not null)
            {
                p.Content(toolText);
                toolText = null;
            }
            string text = m.Content.Trim();
            if (m.ToolCalls is { Count: > 0 } calls)
                text = string.Join("\n", new[] { text }.Where(t => t.Length > 0).Concat(calls.Select(c => ChatTemplateTools.CallObject(c, ChatTemplateToolSyntax.Llama3))));
            p.Content(text);
            p.Template("<|eot_id|>");
        }
        if (addGenerationPrompt)
            p.Template("<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    // ChatML: <|im_start|>{role}\n{text}<|im_end|>\n ... <|im_start|>assistant\n
    // Hermes / Qwen 2.5 tools: a "# Tools" block in the system turn, <tool_call>{…}</tool_call> after the assistant's
    // text, and consecutive results as one user turn of <tool_response> blocks.
    private static void RenderChatML(Parts p, IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt, IReadOnlyList<ChatTemplateTool> tools)
    {
        bool toolsWritten = tools.Count == 0;
        void WriteTools(bool afterText)
        {
            if (afterText)
                p.Template("\n\n");
            p.Template(ChatTemplateTools.HermesToolsIntro);
            foreach (var tool in tools)
            {
                p.Template("\n");
                p.Content(ChatTemplateTools.FunctionDefinition(tool));
            }
            p.Template(ChatTemplateTools.HermesToolsOutro);
            toolsWritten = true;
        }
        if (!toolsWritten && (messages.Count == 0 || messages[0].Role != ChatTemplateMessage.SystemRole))
        {
            p.Template("<|im_start|>system\n");
            WriteTools(afterText: false);
            p.Template("<|im_end|>\n");
        }
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Role == ChatTemplateMessage.ToolRole)
            {
                p.Template("<|im_start|>user");
                for (; i < messages.Count && messages[i].Role == ChatTemplateMessage.ToolRole; i++)
                {
                    p.Template($"\n{ChatTemplateTools.HermesResultOpen}\n");
                    p.Content(messages[i].Content);
                    p.Template($"\n{ChatTemplateTools.HermesResultClose}");
                }
                i--;
                p.Template("<|im_end|>\n");
                continue;
            }
            p.Template($"<|im_start|>{m.Role}\n");
            p.Content(m.Content);
            if (m.Role == ChatTemplateMessage.SystemRole && !toolsWritten)
                WriteTools(afterText: m.Content.Length > 0);
            if (m.ToolCalls is { Count: > 0 } calls)
            {
                for (int c = 0; c < calls.Count; c++)
                {
                    p.Template((m.Content.Length > 0 || c > 0 ? "\n" : "") + ChatTemplateTools.HermesCallOpen + "\n");
                    p.Content(ChatTemplateTools.CallObject(calls[c], ChatTemplateToolSyntax.Hermes));
                    p.Template("\n" + ChatTemplateTools.HermesCallClose);
                }
            }
            p.Template("<|im_end|>\n");
        }
        if (addGenerationPrompt)
            p.Template("<|im_start|>assistant\n");
    }

    // Mistral instruct v0.1/v0.2: {bos}[INST] {system}\n\n{user} [/INST]{assistant}{eos}[INST] {user} [/INST]
    // Mistral v0.3 tools: [AVAILABLE_TOOLS] [{…}][/AVAILABLE_TOOLS] before the last user turn, [TOOL_CALLS] [{…}]{eos},
    // [TOOL_RESULTS] {"content": …, "call_id": …}[/TOOL_RESULTS].
    private static void RenderMistral(Parts p, IReadOnlyList<ChatTemplateMessage> messages, IReadOnlyList<ChatTemplateTool> tools)
    {
        var (system, turns) = SplitSystem(messages);
        int lastUser = turns.FindLastIndex(m => m.Role == ChatTemplateMessage.UserRole);
        p.Bos();
        for (int i = 0; i < turns.Count; i++)
        {
            var m = turns[i];
            if (m.Role == ChatTemplateMessage.UserRole)
            {
                if (i == lastUser && tools.Count > 0)
                {
                    p.Template(ChatTemplateTools.MistralTools + " ");
                    p.Content("[" + string.Join(", ", tools.Select(t => ChatTemplateTools.FunctionDefinition(t))) + "]");
                    p.Template(ChatTemplateTools.MistralToolsEnd);
                }
                p.Template("[INST] ");
                if (system is not null)
                {
                    p.Content(system);
                    p.Template("\n\n");
                    system = null;
                }
                p.Content(m.Content);
                p.Template(" [/INST]");
            }
            else if (m.Role == ChatTemplateMessage.ToolRole)
            {
                p.Template(ChatTemplateTools.MistralResults + " ");
                p.Content(ChatTemplateTools.MistralResult(m));
                p.Template(ChatTemplateTools.MistralResultsEnd);
            }
            else
            {
                p.Content(m.Content);
                if (m.ToolCalls is { Count: > 0 } calls)
                {
                    p.Template(ChatTemplateTools.MistralCalls + " ");
                    p.Content("[" + string.Join(", ", calls.Select(c => ChatTemplateTools.CallObject(c, ChatTemplateToolSyntax.Mistral))) + "]");
                }
                p.Eos();
            }
        }
    }

    // Phi-3: <|{role}|>\n{text}<|end|>\n ... <|assistant|>\n
    private static void RenderPhi3(Parts p, IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt)
    {
        foreach (var m in messages)
        {
            p.Template($"<|{m.Role}|>\n");
            p.Content(m.Content);
            p.Template("<|end|>\n");
        }
        if (addGenerationPrompt)
            p.Template("<|assistant|>\n");
    }

    // Gemma: {bos}<start_of_turn>user\n{system}\n\n{text}<end_of_turn>\n<start_of_turn>model\n{text}<end_of_turn>\n ...
    private static void RenderGemma(Parts p, IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt)
    {
        var (system, turns) = SplitSystem(messages);
        p.Bos();
        foreach (var m in turns)
        {
            bool user = m.Role == ChatTemplateMessage.UserRole;
            p.Template(user ? "<start_of_turn>user\n" : "<start_of_turn>model\n");
            if (user && system is not null)
            {
                p.Content(system);
                p.Template("\n\n");
                system = null;
            }
            p.Content(m.Content.Trim());
            p.Template("<end_of_turn>\n");
        }
        if (addGenerationPrompt)
            p.Template("<start_of_turn>model\n");
    }

    // Zephyr: <|{role}|>\n{text}{eos}\n ... <|assistant|>\n
    private static void RenderZephyr(Parts p, IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt)
    {
        foreach (var m in messages)
        {
            p.Template($"<|{m.Role}|>\n");
            p.Content(m.Content);
            p.Eos();
            p.Template("\n");
        }
        if (addGenerationPrompt)
            p.Template("<|assistant|>\n");
    }

    private static void RenderCustom(Parts p, IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt, ChatTemplateFormat format)
    {
        p.Layout(format.Prefix, role: "", content: "");
        foreach (var m in messages)
            p.Layout(format.LayoutFor(m.Role)!, m.Role, m.Content);
        if (addGenerationPrompt)
        {
            string assistant = format.LayoutFor(ChatTemplateMessage.AssistantRole)!;
            string prompt = format.GenerationPrompt ?? assistant[..assistant.IndexOf(ChatTemplateFormat.ContentPlaceholder, StringComparison.Ordinal)];
            p.Layout(prompt, ChatTemplateMessage.AssistantRole, "");
        }
    }

    /// <summary>All system text (joined by blank lines) and the other turns; with system text but no user turn, an empty user turn carries it.</summary>
    private static (string? System, List<ChatTemplateMessage> Turns) SplitSystem(IReadOnlyList<ChatTemplateMessage> messages)
    {
        var system = messages.Where(m => m.Role == ChatTemplateMessage.SystemRole).Select(m => m.Content).ToList();
        var turns = messages.Where(m => m.Role != ChatTemplateMessage.SystemRole).ToList();
        if (system.Count > 0 && !turns.Any(m => m.Role == ChatTemplateMessage.UserRole))
            turns.Add(ChatTemplateMessage.User(""));
        return (system.Count > 0 ? string.Join("\n\n", system) : null, turns);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    /// <summary>Collects parts, merging neighbours of the same kind.</summary>
    private sealed class Parts(ChatTemplate template)
    {
        public List<ChatTemplatePart> List { get; } = [];

        public void Bos() => List.Add(new(ChatTemplatePartKind.Bos, template.BosText));
        public void Eos() => List.Add(new(ChatTemplatePartKind.Eos, template.EosText));
        public void Template(string text) => AddText(ChatTemplatePartKind.Template, text);
        public void Content(string text) => AddText(ChatTemplatePartKind.Content, text);

        /// <summary>Writes a format string, replacing {role}, {content}, {bos} and {eos}.</summary>
        public void Layout(string layout, string role, string content)
        {
            int i = 0;
            while (i < layout.Length)
            {
                int next = layout.IndexOf('{', i);
                if (next < 0)
                {
                    Template(layout[i..]);
                    break;
                }
                Template(layout[i..next]);
                var rest = layout.AsSpan(next);
                if (rest.StartsWith(ChatTemplateFormat.ContentPlaceholder)) { Content(content); i = next + ChatTemplateFormat.ContentPlaceholder.Length; }
                else if (rest.StartsWith(ChatTemplateFormat.RolePlaceholder)) { Template(role); i = next + ChatTemplateFormat.RolePlaceholder.Length; }
                else if (rest.StartsWith(ChatTemplateFormat.BosPlaceholder)) { Bos(); i = next + ChatTemplateFormat.BosPlaceholder.Length; }
                else if (rest.StartsWith(ChatTemplateFormat.EosPlaceholder)) { Eos(); i = next + ChatTemplateFormat.EosPlaceholder.Length; }
                else { Template("{"); i = next + 1; }
            }
        }

        private void AddText(ChatTemplatePartKind kind, string text)
        {
            if (text.Length == 0)
                return;
            if (List.Count > 0 && List[^1].Kind == kind)
                List[^1] = new(kind, List[^1].Text + text);
            else
                List.Add(new(kind, text));
        }
    }
}
