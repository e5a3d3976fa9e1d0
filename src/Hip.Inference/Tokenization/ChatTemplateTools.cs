using System.Text;
using System.Text.Json;

namespace Hip.Inference;

/// <summary>
/// The text of tool definitions, tool calls and tool results in each <see cref="ChatTemplateToolSyntax"/>, written
/// as the families' own templates write them (JSON as Python's json.dumps prints it: ", " and ": ").
/// </summary>
internal static class ChatTemplateTools
{
    // Llama 3.1 (tools in the first user message, as the official template does by default)
    public const string Llama3Preamble =
        "Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n" +
        "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n";
    public const string Llama3ToolRole = "ipython";

    // Hermes / Qwen 2.5 (ChatML)
    public const string HermesToolsIntro =
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
    public const string HermesToolsOutro =
        "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
        "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
    public const string HermesCallOpen = "<tool_call>", HermesCallClose = "</tool_call>";
    public const string HermesResultOpen = "<tool_response>", HermesResultClose = "</tool_response>";

    // Mistral v0.3
    public const string MistralTools = "[AVAILABLE_TOOLS]", MistralToolsEnd = "[/AVAILABLE_TOOLS]";
    public const string MistralCalls = "[TOOL_CALLS]", MistralResults = "[TOOL_RESULTS]", MistralResultsEnd = "[/TOOL_RESULTS]";

    // families without a tool format: a system preamble and JSON replies
    public const string JsonCallsKey = "tool_calls", JsonResultsKey = "tool_results";
    public const string JsonPreambleIntro = "You can call these tools:\n";
    public const string JsonPreambleOutro =
        "\nTo call tools, reply with only this JSON: {\"tool_calls\": [{\"name\": \"<tool name>\", \"arguments\": {<arguments>}}]}";

    /// <summary>The key that holds a call's arguments in <paramref name="syntax"/>.</summary>
    public static string ArgumentsKey(ChatTemplateToolSyntax syntax) => syntax == ChatTemplateToolSyntax.Llama3 ? "parameters" : "arguments";

    /// <summary><c>{"type": "function", "function": {"name": …, "description": …, "parameters": …}}</c>, indented by <paramref name="indent"/> spaces (0: one line).</summary>
    public static string FunctionDefinition(ChatTemplateTool tool, int indent = 0)
    {
        var function = new StringBuilder("{\"name\": ").Append(JsonText.EncodeString(tool.Name));
        if (!string.IsNullOrEmpty(tool.Description))
            function.Append(", \"description\": ").Append(JsonText.EncodeString(tool.Description));
        function.Append(", \"parameters\": ").Append(PythonJson(tool.ParametersJson)).Append('}');
        string text = "{\"type\": \"function\", \"function\": " + function + "}";
        return indent > 0 ? PythonJson(text, indent) : text;
    }

    /// <summary>The generic preamble's one-line tool entry: <c>{"name": …, "description": …, "parameters": …}</c>.</summary>
    public static string CompactDefinition(ChatTemplateTool tool)
    {
        var text = new StringBuilder("{\"name\": ").Append(JsonText.EncodeString(tool.Name));
        if (!string.IsNullOrEmpty(tool.Description))
            text.Append(", \"description\": ").Append(JsonText.EncodeString(tool.Description));
        return text.Append(", \"parameters\": ").Append(PythonJson(tool.ParametersJson)).Append('}').ToString();
    }

    /// <summary><c>{"name": …, "&lt;arguments key&gt;": …}</c> (Mistral adds the call id).</summary>
    public static string CallObject(ChatTemplateToolCall call, ChatTemplateToolSyntax syntax)
    {
        var text = new StringBuilder("{\"name\": ").Append(JsonText.EncodeString(call.Name))
            .Append(", \"").Append(ArgumentsKey(syntax)).Append("\": ").Append(PythonJson(call.ArgumentsJson));
        if (syntax == ChatTemplateToolSyntax.Mistral)
            text.Append(", \"id\": ").Append(JsonText.EncodeString(MistralCallId(call.Id)));
        return text.Append('}').ToString();
    }

    /// <summary>The generic reply: <c>{"tool_calls": [call, …]}</c>.</summary>
    public static string JsonCalls(IReadOnlyList<ChatTemplateToolCall> calls) =>
        "{\"" + JsonCallsKey + "\": [" + string.Join(", ", calls.Select(c => CallObject(c, ChatTemplateToolSyntax.Json))) + "]}";

    /// <summary>The generic result turn: <c>{"tool_results": [{"name": …, "result": …}, …]}</c>.</summary>
    public static string JsonResults(IEnumerable<ChatTemplateMessage> results) =>
        "{\"" + JsonResultsKey + "\": [" + string.Join(", ", results.Select(r =>
            "{\"name\": " + JsonText.EncodeString(r.ToolName ?? "") + ", \"result\": " + JsonOrString(r.Content) + "}")) + "]}";

    /// <summary>Mistral's result: <c>{"content": …, "call_id": …}</c>.</summary>
    public static string MistralResult(ChatTemplateMessage result) =>
        "{\"content\": " + JsonOrString(result.Content) + ", \"call_id\": " + JsonText.EncodeString(MistralCallId(result.ToolCallId ?? "")) + "}";

    /// <summary>Mistral's ids are nine letters or digits: other ids map to nine characters derived from them (the same for a call and its result).</summary>
    public static string MistralCallId(string id)
    {
        if (id.Length == 9 && id.All(char.IsAsciiLetterOrDigit))
            return id;
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        ulong hash = 14695981039346656037UL;   // FNV-1a: stable across processes, unlike string.GetHashCode
        foreach (char c in id)
            hash = (hash ^ c) * 1099511628211UL;
        var chars = new char[9];
        for (int i = 0; i < chars.Length; i++, hash /= (ulong)alphabet.Length)
            chars[i] = alphabet[(int)(hash % (ulong)alphabet.Length)];
        return new string(chars);
    }

    /// <summary>Tool-related turns lowered to system, user and assistant text for families without a tool format.</summary>
    public static List<ChatTemplateMessage> LowerToJson(IReadOnlyList<ChatTemplateMessage> messages, IReadOnlyList<ChatTemplateTool> tools)
    {
        var lowered = new List<ChatTemplateMessage>(messages.Count + 1);
        if (tools.Count > 0)
        {
            string preamble = JsonPreambleIntro + string.Join("\n", tools.Select(CompactDefinition)) + JsonPreambleOutro;
            if (messages.Count > 0 && messages[0].Role == ChatTemplateMessage.SystemRole)
            {
                lowered.Add(ChatTemplateMessage.System(messages[0].Content + "\n\n" + preamble));
                messages = messages.Skip(1).ToList();
            }
            else
            {
                lowered.Add(ChatTemplateMessage.System(preamble));
            }
        }
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Role == ChatTemplateMessage.ToolRole)
            {
                int end = i;
                while (end + 1 < messages.Count && messages[end + 1].Role == ChatTemplateMessage.ToolRole)
                    end++;
                lowered.Add(ChatTemplateMessage.User(JsonResults(messages.Skip(i).Take(end - i + 1))));
                i = end;
            }
            else if (m.ToolCalls is { Count: > 0 } calls)
            {
                string text = m.Content.Length > 0 ? m.Content + "\n" : "";
                lowered.Add(ChatTemplateMessage.Assistant(text + JsonCalls(calls)));
            }
            else
            {
                lowered.Add(new ChatTemplateMessage(m.Role, m.Content));
            }
        }
        return lowered;
    }

    /// <summary><paramref name="text"/> itself when it is JSON, else as a JSON string.</summary>
    public static string JsonOrString(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return PythonJson(document.RootElement, 0, 0);
        }
        catch (JsonException)
        {
            return JsonText.EncodeString(text);
        }
    }

    /// <summary>JSON text re-printed as Python's json.dumps does: ", " and ": ", or indented by <paramref name="indent"/>.</summary>
    public static string PythonJson(string json, int indent = 0)
    {
        using var document = JsonDocument.Parse(json);
        return PythonJson(document.RootElement, indent, 0);
    }

    private static string PythonJson(JsonElement value, int indent, int depth)
    {
        string Pad(int d) => indent > 0 ? "\n" + new string(' ', indent * d) : "";
        string separator = indent > 0 ? "," : ", ";
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = value.EnumerateObject().ToList();
                if (properties.Count == 0)
                    return "{}";
                return "{" + string.Join(separator, properties.Select(p => Pad(depth + 1) + JsonText.EncodeString(p.Name) + ": " + PythonJson(p.Value, indent, depth + 1)))
                    + Pad(depth) + "}";
            case JsonValueKind.Array:
                var items = value.EnumerateArray().ToList();
                if (items.Count == 0)
                    return "[]";
                return "[" + string.Join(separator, items.Select(i => Pad(depth + 1) + PythonJson(i, indent, depth + 1))) + Pad(depth) + "]";
            case JsonValueKind.String:
                return JsonText.EncodeString(value.GetString()!);
            default:
                return value.GetRawText();
        }
    }
}
