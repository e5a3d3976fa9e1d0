using System.Text;
using Hip.Inference;
using Microsoft.Extensions.AI;

namespace Hip.SemanticKernel;

/// <summary>
/// Turns <see cref="ChatMessage"/>s into chat-template turns. Text is kept (text/* data too); reasoning and usage are
/// skipped; anything the model cannot read (images, audio, files, tool calls) is a <see cref="NotSupportedException"/>
/// naming it. <see cref="ChatOptions.Instructions"/> become a leading system message.
/// </summary>
internal static class ChatMessageMapping
{
    private const string DeveloperRole = "developer";

    public static List<ChatTemplateMessage> ToTemplateMessages(IEnumerable<ChatMessage> messages, string? instructions)
    {
        var turns = new List<ChatTemplateMessage>();
        if (!string.IsNullOrEmpty(instructions))
            turns.Add(ChatTemplateMessage.System(instructions));
        int count = 0;
        foreach (var message in messages)
        {
            if (message is null)
                throw new ArgumentException($"messages[{count}] is null.", nameof(messages));
            count++;
            turns.Add(new ChatTemplateMessage(ToRole(message.Role), ToText(message)));
        }
        if (count == 0)
            throw new ArgumentException("messages is empty: give at least one message.", nameof(messages));
        return turns;
    }

    private static string ToRole(ChatRole role)
    {
        if (role == ChatRole.System || string.Equals(role.Value, DeveloperRole, StringComparison.OrdinalIgnoreCase))
            return ChatTemplateMessage.SystemRole;
        if (role == ChatRole.User)
            return ChatTemplateMessage.UserRole;
        if (role == ChatRole.Assistant)
            return ChatTemplateMessage.AssistantRole;
        if (role == ChatRole.Tool)
            throw new NotSupportedException("Messages with the 'tool' role (function results) are not supported: this client does not call tools yet.");
        throw new NotSupportedException($"Message role '{role.Value}' is not supported; use system, user or assistant.");
    }

    private static string ToText(ChatMessage message)
    {
        var text = new StringBuilder();
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
                case FunctionCallContent or FunctionResultContent:
                    throw new NotSupportedException($"{content.GetType().Name} is not supported: this client does not call tools yet.");
                default:
                    throw new NotSupportedException($"{content.GetType().Name} is not supported: the model reads text only.");
            }
        }
        return text.ToString();
    }
}
