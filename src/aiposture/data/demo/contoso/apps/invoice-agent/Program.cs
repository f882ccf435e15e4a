// Invoice agent: reads supplier emails and pays invoices it believes are due.
using Azure.AI.OpenAI;
using Microsoft.SemanticKernel;

var builder = Kernel.CreateBuilder();
builder.AddAzureOpenAIChatCompletion(
    deploymentName: "invoice-gpt4o-mini",
    endpoint: Environment.GetEnvironmentVariable("AZURE_OPENAI_ENDPOINT")!,
    apiKey: Environment.GetEnvironmentVariable("AZURE_OPENAI_KEY")!);
var kernel = builder.Build();
var result = await kernel.InvokePromptAsync("Extract the amount due from: {{$email}}");
Console.WriteLine(result);
