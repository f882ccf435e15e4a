module github.com/contoso/ops-bot

go 1.22

require (
	github.com/ollama/ollama v0.4.2
	github.com/openai/openai-go v0.1.0-alpha.38
)
