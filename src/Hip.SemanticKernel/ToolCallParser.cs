using System.Text.Json;
using Hip.Inference;

namespace Hip.SemanticKernel;

/// <summary>Reads tool calls back out of the text a <see cref="ToolCallFormat"/> grammar produced.</summary>
internal static class ToolCallParser
{
    /// <summary>The calls in <paramref name="text"/>; null when it is not a complete reply of calls (cut short, or another JSON document).</summary>
    public static IReadOnlyList<ParsedToolCall>? TryParse(ToolCallFormat format, string text, ICollection<string> toolNames)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            var calls = format.Syntax switch
            {
                ChatTemplateToolSyntax.Llama3 => ParseCallObjects(text.Trim(), format, wrapped: false),
                ChatTemplateToolSyntax.Hermes => ParseHermes(text, format),
                ChatTemplateToolSyntax.Mistral => ParseMistral(text, format),
                _ => ParseCallObjects(text.Trim(), format, wrapped: true),
            };
            return calls is { Count: > 0 } && calls.All(c => toolNames.Contains(c.Name)) ? calls : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The calls that were complete when the output was cut inside a later one (max tokens): every whole call before the
    /// cut, in order; empty when none was complete. Only names among <paramref name="toolNames"/> count.
    /// </summary>
    public static IReadOnlyList<ParsedToolCall> CompleteCalls(ToolCallFormat format, string text, ICollection<string> toolNames)
    {
        ArgumentNullException.ThrowIfNull(text);
        var items = format.Syntax switch
        {
            ChatTemplateToolSyntax.Llama3 => [],   // one call per reply: nothing before the cut
            ChatTemplateToolSyntax.Hermes => HermesBlocks(text),
            _ => WholeArrayItems(text, format.Syntax == ChatTemplateToolSyntax.Mistral ? "[TOOL_CALLS]" : "\"tool_calls\""),
        };
        var calls = new List<ParsedToolCall>();
        foreach (string item in items)
        {
            try
            {
                using var document = JsonDocument.Parse(item);
                if (Call(document.RootElement, format) is not { } call || !toolNames.Contains(call.Name))
                    break;
                calls.Add(call);
            }
            catch (JsonException)
            {
                break;
            }
        }
        return calls;
    }

    private static IEnumerable<string> HermesBlocks(string text)
    {
        for (int at = text.IndexOf("<tool_call>", StringComparison.Ordinal); at >= 0; at = text.IndexOf("<tool_call>", at, StringComparison.Ordinal))
        {
            int start = at + "<tool_call>".Length;
            int end = text.IndexOf("</tool_call>", start, StringComparison.Ordinal);
            if (end < 0)
                yield break;
            yield return text[start..end];
            at = end;
        }
    }

    /// <summary>The whole objects of the first array after <paramref name="anchor"/>, up to the first one cut short.</summary>
    private static IEnumerable<string> WholeArrayItems(string text, string anchor)
    {
        int at = text.IndexOf(anchor, StringComparison.Ordinal);
        if (at < 0 || text.IndexOf('[', at + anchor.Length) is var open && open < 0)
            yield break;
        int depth = 0, itemStart = -1;
        bool inString = false, escaped = false;
        for (int i = open + 1; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"')
                    inString = false;
                continue;
            }
            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{' or '[':
                    if (depth++ == 0)
                        itemStart = i;
                    break;
                case '}' or ']':
                    if (depth == 0)
                        yield break;   // the array's own end
                    if (--depth == 0)
                        yield return text[itemStart..(i + 1)];
                    break;
            }
        }
    }

    private static List<ParsedToolCall>? ParseCallObjects(string json, ToolCallFormat format, bool wrapped)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (!wrapped)
            return Call(root, format) is { } single ? [single] : null;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("tool_calls", out var array) || array.ValueKind != JsonValueKind.Array)
            return null;
        return ParseArray(array, format);
    }

    private static List<ParsedToolCall>? ParseHermes(string text, ToolCallFormat format)
    {
        var calls = new List<ParsedToolCall>();
        for (int at = text.IndexOf("<tool_call>", StringComparison.Ordinal); at >= 0; at = text.IndexOf("<tool_call>", at, StringComparison.Ordinal))
        {
            int start = at + "<tool_call>".Length;
            int end = text.IndexOf("</tool_call>", start, StringComparison.Ordinal);
            if (end < 0)
                return null;
            using var document = JsonDocument.Parse(text[start..end]);
            if (Call(document.RootElement, format) is not { } call)
                return null;
            calls.Add(call);
            at = end;
        }
        return calls;
    }

    private static List<ParsedToolCall>? ParseMistral(string text, ToolCallFormat format)
    {
        string rest = text.TrimStart();
        if (!rest.StartsWith("[TOOL_CALLS]", StringComparison.Ordinal))
            return null;
        using var document = JsonDocument.Parse(rest["[TOOL_CALLS]".Length..]);
        return document.RootElement.ValueKind == JsonValueKind.Array ? ParseArray(document.RootElement, format) : null;
    }

    private static List<ParsedToolCall>? ParseArray(JsonElement array, ToolCallFormat format)
    {
        var calls = new List<ParsedToolCall>();
        foreach (var item in array.EnumerateArray())
        {
            if (Call(item, format) is not { } call)
                return null;
            calls.Add(call);
        }
        return calls;
    }

    private static ParsedToolCall? Call(JsonElement value, ToolCallFormat format)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || !value.TryGetProperty(format.ArgumentsKey, out var arguments) || arguments.ValueKind != JsonValueKind.Object)
            return null;
        return new ParsedToolCall(name.GetString()!, arguments.GetRawText());
    }
}
