package com.contoso.fraud;

import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseRequest;

/** Explains fraud scores to analysts with a Bedrock-hosted model. */
public class Explainer {
    private final BedrockRuntimeClient client = BedrockRuntimeClient.create();

    public String explain(String caseSummary) {
        ConverseRequest request = ConverseRequest.builder()
            .modelId("anthropic.claude-3-haiku-20240307-v1:0")
            .build();
        return client.converse(request).output().message().content().get(0).text();
    }
}
