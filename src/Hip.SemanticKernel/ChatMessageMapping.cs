using System.Text;
using System.Text.Json;
using Hip.Inference;
using Microsoft.Extensions.AI;

namespace Hip.SemanticKernel;

/// <summary>
/// Turns <see cref="ChatMessage"/>s into chat-template turns. Text is kept (text/* data too); reasoning and usage are
/// skipped; an assistant's <see cref="FunctionCallContent"/>s become its tool calls and each
/// <see cref="FunctionResultContent"/> a tool turn (the chat template writes both in the model's tool syntax);
/// anything else the model cannot read (images, audio, files) is a <see cref="NotSupportedException"/> naming it.
/// <see cref="ChatOptions.Instructions"/> become a leading system message.
/// </summary>
internal static class ChatMessageMapping
{
    private const string DeveloperRole = "developer";

    public static List<ChatTemplateMessage> ToTemplateMessages(IEnumerable<ChatMessage> messages, string? instructions)
    {
        var turns = new List<ChatTemplateMessage>();
        if (!string.IsNullOrEmpty(instructions))
            turns.Add(ChatTemplateMessage.System(instructions));
        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);   // call id → tool name, for the results
        int count = 0;
        foreach (var message in messages)
        {
            if (message is null)
                throw new ArgumentException($"messages[{count}] is null.", nameof(messages));
            count++;
            AddTurns(message, turns, toolNames);
        }
        if (count == 0)
            throw new ArgumentException("messages is empty: give at least one message.", nameof(messages));
        return turns;
    }

    private static void AddTurns(ChatMessage message, List<ChatTemplateMessage> turns, Dictionary<string, string> toolNames)
    {
        var text = new StringBuilder();
        var calls = new List<ChatTemplateToolCall>();
        var results = new List<ChatTemplateMessage>();
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent t:
                    text.Append(t.Text);
                    break;
                case TextReasoningContent or UsageContent:
                    break;   // earlier reasoning and usage are not part of the prompt
                case DataContent data when data.HasTopLevelMediaType("text"):
                    text.Append(Encoding.UTF8.GetString(data.Data.Span));
                    break;
                case DataContent data:
                    throw new NotSupportedException(
                        $"DataContent with media type '{data.MediaType}' is not supported: the model reads text only.");
                case UriContent uri:
                    throw new NotSupportedException(
                        $"UriContent with media type '{uri.MediaType}' ({uri.Uri}) is not supported: the model reads text only; put the text in a TextContent.");
                case FunctionCallContent call:
                    if (message.Role != ChatRole.Assistant)
                        throw new NotSupportedException($"A FunctionCallContent ('{call.Name}') in a '{message.Role.Value}' message: tool calls belong to assistant messages.");
                    calls.Add(new ChatTemplateToolCall(call.CallId, call.Name, JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions)));
                    toolNames[call.CallId] = call.Name;
                    break;
                case FunctionResultContent result:
                    results.Add(ChatTemplateMessage.Tool(result.CallId, toolNames.GetValueOrDefault(result.CallId, ""), ResultText(result)));
                    break;
                default:
                    throw new NotSupportedException($"{content.GetType().Name} is not supported: the model reads text only.");
            }
        }
        if (message.Role == ChatRole.Tool)
        {
            // a tool message: its results (text without a call id also counts as a result)
            if (text.Length > 0)
                turns.Add(ChatTemplateMessage.Tool("", "", text.ToString()));
            turns.AddRange(results);
            return;
        }
        if (text.Length > 0 || calls.Count > 0 || results.Count == 0)
        {
            var turn = new ChatTemplateMessage(ToRole(message.Role), text.ToString());
            turns.Add(calls.Count > 0 ? turn with { ToolCalls = calls } : turn);
        }
        turns.AddRange(results);
    }

    /// <summary>A result as the model reads it: text as is, anything else as JSON; a failure as "Error: …".</summary>
    private static string ResultText(FunctionResultContent result) => result.Result switch
    {
        null when result.Exception is { } e => $"Error: {e.Message}",
        null => "null",
        string s => s,
        JsonElement e => e.GetRawText(),
        var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions.GetTypeInfo(other.GetType())),
    };

    private static string ToRole(ChatRole role)
    {
        if (role == ChatRole.System || string.Equals(role.Value, DeveloperRole, StringComparison.OrdinalIgnoreCase))
            return ChatTemplateMessage.SystemRole;
        if (role == ChatRole.User)
            return ChatTemplateMessage.UserRole;
        if (role == ChatRole.Assistant)
            return ChatTemplateMessage.AssistantRole;
        throw new NotSupportedException($"Message role '{role.Value}' is not supported; use system, user, assistant or tool.");
    }
}
