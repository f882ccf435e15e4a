// ops-bot summarises on-call incidents with a local Llama model served by Ollama.
package main

import (
	"context"
	"fmt"

	"github.com/ollama/ollama/api"
)

func main() {
	client, err := api.ClientFromEnvironment()
	if err != nil {
		panic(err)
	}
	req := &api.GenerateRequest{Model: "llama3.1:8b", Prompt: "Summarise the last incident"}
	_ = client.Generate(context.Background(), req, func(r api.GenerateResponse) error {
		fmt.Print(r.Response)
		return nil
	})
}
