using System.ComponentModel;
using Hip.Kernels;
using Hip.TestSupport;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Xunit;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;
using FunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;

namespace Hip.SemanticKernel.Tests;

/// <summary>The tool loop of Microsoft.Extensions.AI, Semantic Kernel and Agent Framework over the real engine.</summary>
public sealed class FunctionInvocationTests
{
    private const int CallTokens = 110;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UseFunctionInvocation_RequireSpecific_RunsTheToolAndFeedsTheResultBack(bool streaming)
    {
        var calls = new List<(int A, int B)>();
        var add = AIFunctionFactory.Create((int a, int b) => { calls.Add((a, b)); return a + b; }, "add", "Adds two numbers");
        var recorder = new RecordingChatClient(new HipChatClient(SharedModel.Engine)) { AnswerTokens = 8 };
        using var client = recorder.AsBuilder().UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 2).Build();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = CallTokens, Tools = [add], ToolMode = ChatToolMode.RequireSpecific("add") };

        var response = streaming
            ? await client.GetStreamingResponseAsync("Once upon a time", options).ToChatResponseAsync()
            : await client.GetResponseAsync("Once upon a time", options);

        var (a, b) = Assert.Single(calls);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        var result = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>());
        Assert.Equal(call.CallId, result.CallId);
        Assert.Equal(a + b, Convert.ToInt32(result.Result is System.Text.Json.JsonElement e ? e.GetInt32() : result.Result));
        // the second request carried the call and its result back to the model
        Assert.Equal(2, recorder.Requests.Count);
        Assert.Contains(recorder.Requests[1].Messages, m => m.Contents.OfType<FunctionResultContent>().Any(r => r.CallId == call.CallId));
        Assert.Equal(response.Messages[^1].Text, response.Text);
    }

    [Fact]
    public async Task UseFunctionInvocation_ToolThrows_ReportsTheErrorToTheModel()
    {
        var failing = AIFunctionFactory.Create(int (int a, int b) => throw new InvalidOperationException("the adder is broken"), "add", "Adds two numbers");
        var recorder = new RecordingChatClient(new HipChatClient(SharedModel.Engine)) { AnswerTokens = 8 };
        using var client = recorder.AsBuilder().UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 2).Build();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = CallTokens, Tools = [failing], ToolMode = ChatToolMode.RequireSpecific("add") };

        var response = await client.GetResponseAsync("Once upon a time", options);

        var result = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>());
        Assert.IsType<InvalidOperationException>(result.Exception);
        Assert.Contains("Error", result.Result?.ToString());   // what the model reads: FICC hides the details unless IncludeDetailedErrors
        Assert.Equal(2, recorder.Requests.Count);
        Assert.NotNull(recorder.Requests[1].Response);         // the model answered after reading the error
    }

    public sealed class MathPlugin
    {
        public List<(int A, int B)> Calls { get; } = [];

        [KernelFunction("add"), Description("Adds two numbers")]
        public int Add(int a, int b)
        {
            Calls.Add((a, b));
            return a + b;
        }
    }

    [Fact]
    public async Task SemanticKernel_FunctionChoiceRequired_InvokesThePluginFunction()
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton<Gpu>(TestGpu.Gpu);
        builder.AddHipChatCompletion(SharedModel.ModelPath);
        var plugin = new MathPlugin();
        builder.Plugins.AddFromObject(plugin, "math");
        var kernel = builder.Build();
        var settings = new HipPromptExecutionSettings { Temperature = 0, MaxTokens = CallTokens, 
            FunctionChoiceBehavior = FunctionChoiceBehavior.Required(options: new FunctionChoiceBehaviorOptions { AllowParallelCalls = false }) };

        var result = await kernel.InvokePromptAsync("Once upon a time", new KernelArguments(settings));

        Assert.NotEmpty(plugin.Calls);
        Assert.NotNull(result.GetValue<string>());
    }

    [Fact]
    public async Task ChatClientAgent_WithTool_CallsItWithinASession()
    {
        var calls = new List<(int A, int B)>();
        var add = AIFunctionFactory.Create((int a, int b) => { calls.Add((a, b)); return a + b; }, "add", "Adds two numbers");
        var recorder = new RecordingChatClient(new HipChatClient(SharedModel.Engine)) { AnswerTokens = 8 };
        var agent = new ChatClientAgent(recorder, instructions: "You add numbers.", name: "adder", tools: [add]);
        var session = await agent.CreateSessionAsync();
        var run = new ChatClientAgentRunOptions(new ChatOptions { Temperature = 0, MaxOutputTokens = CallTokens, ToolMode = ChatToolMode.RequireSpecific("add") });

        var response = await agent.RunAsync("Once upon a time", session, run);

        Assert.NotEmpty(calls);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
        Assert.Equal("You add numbers.", recorder.Requests[0].Options?.Instructions);
        Assert.True(recorder.Requests.Count >= 2);
    }
}
