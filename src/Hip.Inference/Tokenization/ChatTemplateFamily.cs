namespace Hip.Inference;

/// <summary>The prompt layouts <see cref="ChatTemplate"/> knows; each renders exactly like the family's own template.</summary>
public enum ChatTemplateFamily
{
    /// <summary>Base models without a chat template: BOS, then the messages' text joined by newlines.</summary>
    Plain,
    /// <summary>Llama 2 chat: <c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;…&lt;&lt;/SYS&gt;&gt; user [/INST] answer &lt;/s&gt;</c>.</summary>
    Llama2,
    /// <summary>Llama 3 instruct: <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ntext&lt;|eot_id|&gt;</c>.</summary>
    Llama3,
    /// <summary>ChatML (Qwen, OpenHermes, …): <c>&lt;|im_start|&gt;role\ntext&lt;|im_end|&gt;\n</c>.</summary>
    ChatML,
    /// <summary>Mistral instruct v0.1/v0.2: <c>&lt;s&gt;[INST] user [/INST]answer&lt;/s&gt;</c>; a system prompt leads the first user turn.</summary>
    Mistral,
    /// <summary>Phi-3: <c>&lt;|role|&gt;\ntext&lt;|end|&gt;\n</c>.</summary>
    Phi3,
    /// <summary>Gemma: <c>&lt;bos&gt;&lt;start_of_turn&gt;user\ntext&lt;end_of_turn&gt;\n</c>, assistant turns as "model".</summary>
    Gemma,
    /// <summary>Zephyr / TinyLlama chat: <c>&lt;|role|&gt;\ntext&lt;/s&gt;\n</c>.</summary>
    Zephyr,
    /// <summary>A user-supplied <see cref="ChatTemplateFormat"/>.</summary>
    Custom,
}
