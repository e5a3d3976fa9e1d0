/// <summary>The "Agent" section of appsettings.json: who the agent is and the one prompt it answers.</summary>
internal sealed class AgentOptions
{
    public string Name { get; set; } = "Storyteller";
    public string? Instructions { get; set; }
    public string Prompt { get; set; } = "Once upon a time";
    public int MaxOutputTokens { get; set; } = 40;
    public float Temperature { get; set; }
}
