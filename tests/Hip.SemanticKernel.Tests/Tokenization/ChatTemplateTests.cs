using Hip.Inference;
using Xunit;

namespace Hip.SemanticKernel.Tests.Tokenization;

/// <summary>Each family renders exactly like its own Jinja template (Hugging Face apply_chat_template output).</summary>
public sealed class ChatTemplateTests
{
    private static readonly ChatTemplateMessage[] s_conversation =
    [
        ChatTemplateMessage.System("You are kind."),
        ChatTemplateMessage.User("Hi!"),
        ChatTemplateMessage.Assistant("Hello."),
        ChatTemplateMessage.User("Tell a story."),
    ];

    private static readonly ChatTemplateMessage[] s_noSystem = s_conversation[1..];

    // real templates, shortened to their distinguishing parts where they are long
    private const string Llama2Jinja = "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% endif %}" +
        "{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
        "{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
    private const string Llama3Jinja = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + " +
        "'<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
    private const string ChatMLJinja = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    private const string MistralJinja = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}" +
        "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}";
    private const string Phi3Jinja = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}" +
        "{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}" +
        "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}";
    private const string GemmaJinja = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}" +
        "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";
    private const string ZephyrJinja = "{% for message in messages %}\\n{% if message['role'] == 'user' %}\\n{{ '<|user|>\\n' + message['content'] + eos_token }}\\n" +
        "{% elif message['role'] == 'system' %}\\n{{ '<|system|>\\n' + message['content'] + eos_token }}\\n{% elif message['role'] == 'assistant' %}\\n{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\\n" +
        "{% endif %}\\n{% if loop.last and add_generation_prompt %}\\n{{ '<|assistant|>' }}\\n{% endif %}\\n{% endfor %}";

    public static TheoryData<string, ChatTemplateFamily> Templates => new()
    {
        { Llama2Jinja, ChatTemplateFamily.Llama2 },
        { Llama3Jinja, ChatTemplateFamily.Llama3 },
        { ChatMLJinja, ChatTemplateFamily.ChatML },
        { MistralJinja, ChatTemplateFamily.Mistral },
        { Phi3Jinja, ChatTemplateFamily.Phi3 },
        { GemmaJinja, ChatTemplateFamily.Gemma },
        { ZephyrJinja, ChatTemplateFamily.Zephyr },
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public void TryDetect_FamilyTemplate_FindsFamily(string jinja, ChatTemplateFamily family)
    {
        Assert.True(ChatTemplate.TryDetect(jinja, out var template));
        Assert.Equal(family, template.Family);
        Assert.Equal(family, ChatTemplate.Parse(jinja).Family);
    }

    [Fact]
    public void TryDetect_UnknownTemplate_ReturnsFalse()
    {
        Assert.False(ChatTemplate.TryDetect("{% for m in messages %}### {{ m['role'] }}: {{ m['content'] }}{% endfor %}", out var template));
        Assert.Null(template);
    }

    [Fact]
    public void Parse_UnknownName_ThrowsSayingWhatIsAccepted()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplate.Parse("vicuna"));

        Assert.Contains("llama3", e.Message);
        Assert.Contains("ChatTemplateFormat", e.Message);
    }

    [Theory]
    [InlineData("llama-3", ChatTemplateFamily.Llama3)]
    [InlineData("Llama2", ChatTemplateFamily.Llama2)]
    [InlineData("qwen", ChatTemplateFamily.ChatML)]
    [InlineData("ChatML", ChatTemplateFamily.ChatML)]
    [InlineData("phi-3", ChatTemplateFamily.Phi3)]
    [InlineData("base", ChatTemplateFamily.Plain)]
    public void Parse_FamilyName_FindsFamily(string name, ChatTemplateFamily family) =>
        Assert.Equal(family, ChatTemplate.Parse(name).Family);

    [Fact]
    public void Render_Plain_JoinsTextWithNewlines()
    {
        Assert.Equal("Once upon a time", ChatTemplate.Plain.Render([ChatTemplateMessage.User("Once upon a time")]));
        Assert.Equal("You are kind.\nHi!\nHello.\nTell a story.", ChatTemplate.Plain.Render(s_conversation));
    }

    [Fact]
    public void Render_Llama2_MatchesItsTemplate()
    {
        Assert.Equal(
            "<s>[INST] <<SYS>>\nYou are kind.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] Tell a story. [/INST]",
            ChatTemplate.Llama2.Render(s_conversation));
        Assert.Equal("<s>[INST] Hi! [/INST] Hello. </s><s>[INST] Tell a story. [/INST]", ChatTemplate.Llama2.Render(s_noSystem));
    }

    [Fact]
    public void Render_Llama3_MatchesItsTemplate()
    {
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are kind.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nTell a story.<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.Llama3.Render(s_conversation));
    }

    [Fact]
    public void Render_ChatML_MatchesItsTemplate()
    {
        Assert.Equal(
            "<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n" +
            "<|im_start|>user\nTell a story.<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.ChatML.Render(s_conversation));
    }

    [Fact]
    public void Render_Mistral_MatchesItsTemplate()
    {
        Assert.Equal("<s>[INST] Hi! [/INST]Hello.</s>[INST] Tell a story. [/INST]", ChatTemplate.Mistral.Render(s_noSystem));
        Assert.Equal("<s>[INST] You are kind.\n\nHi! [/INST]Hello.</s>[INST] Tell a story. [/INST]", ChatTemplate.Mistral.Render(s_conversation));
    }

    [Fact]
    public void Render_Phi3_MatchesItsTemplate()
    {
        Assert.Equal(
            "<|system|>\nYou are kind.<|end|>\n<|user|>\nHi!<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nTell a story.<|end|>\n<|assistant|>\n",
            ChatTemplate.Phi3.Render(s_conversation));
    }

    [Fact]
    public void Render_Gemma_MatchesItsTemplate()
    {
        Assert.Equal(
            "<bos><start_of_turn>user\nHi!<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nTell a story.<end_of_turn>\n<start_of_turn>model\n",
            ChatTemplate.Gemma.Render(s_noSystem));
        Assert.StartsWith("<bos><start_of_turn>user\nYou are kind.\n\nHi!<end_of_turn>\n", ChatTemplate.Gemma.Render(s_conversation));
    }

    [Fact]
    public void Render_Zephyr_MatchesItsTemplate()
    {
        Assert.Equal(
            "<|system|>\nYou are kind.</s>\n<|user|>\nHi!</s>\n<|assistant|>\nHello.</s>\n<|user|>\nTell a story.</s>\n<|assistant|>\n",
            ChatTemplate.Zephyr.Render(s_conversation));
    }

    [Fact]
    public void Render_WithoutGenerationPrompt_EndsAfterTheLastMessage()
    {
        Assert.EndsWith("Tell a story.<|im_end|>\n", ChatTemplate.ChatML.Render(s_conversation, addGenerationPrompt: false));
        Assert.EndsWith("Tell a story.<|eot_id|>", ChatTemplate.Llama3.Render(s_conversation, addGenerationPrompt: false));
    }

    [Fact]
    public void Render_SystemOnlyInLlama2_CarriesItInAUserTurn()
    {
        Assert.Equal("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n [/INST]", ChatTemplate.Llama2.Render([ChatTemplateMessage.System("Be brief.")]));
    }

    [Fact]
    public void Render_UnknownRole_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplate.ChatML.Render([new ChatTemplateMessage("narrator", "42")]));
        Assert.Contains("narrator", e.Message);
    }

    [Fact]
    public void FromFormat_ChatMLLayout_RendersLikeChatML()
    {
        var template = ChatTemplate.FromFormat(new ChatTemplateFormat
        {
            Prefix = "",
            Message = "<|im_start|>{role}\n{content}<|im_end|>\n",
            StopSequences = ["<|im_end|>"],
        });

        Assert.Equal(ChatTemplate.ChatML.Render(s_conversation), template.Render(s_conversation));
        Assert.Equal(ChatTemplateFamily.Custom, template.Family);
        Assert.Equal(["<|im_end|>"], template.EndOfTurnMarkers);
    }

    [Fact]
    public void FromFormat_PerRoleLayouts_UsesEach()
    {
        var template = ChatTemplate.FromFormat(new ChatTemplateFormat
        {
            System = "{content}\n\n",
            User = "### User: {content}\n",
            Assistant = "### Assistant: {content}{eos}\n",
        });

        Assert.Equal("<s>You are kind.\n\n### User: Hi!\n### Assistant: Hello.</s>\n### User: Tell a story.\n### Assistant: ",
            template.Render(s_conversation));
    }

    [Fact]
    public void FromFormat_NoContentPlaceholder_ThrowsNamingTheProperty()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplate.FromFormat(new ChatTemplateFormat { Message = "{role}: text" }));

        Assert.Contains("Message", e.Message);
        Assert.Contains("{content}", e.Message);
    }

    [Fact]
    public void FromFormat_MissingRole_ThrowsNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplate.FromFormat(new ChatTemplateFormat { User = "{content}" }));

        Assert.Contains("System", e.Message);
    }
}
