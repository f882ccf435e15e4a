"""Contoso support copilot: answers customer questions from the product wiki."""
import os

import chromadb
from langchain_openai import AzureChatOpenAI
from openai import AzureOpenAI

client = AzureOpenAI(
    azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
    api_version="2024-06-01",
)
chroma = chromadb.PersistentClient(path="./index")
wiki = chroma.get_or_create_collection("product-wiki")
llm = AzureChatOpenAI(azure_deployment="support-gpt4o", temperature=0)


def answer(question: str) -> str:
    hits = wiki.query(query_texts=[question], n_results=4)
    context = "\n".join(hits["documents"][0])
    response = client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": "You are Contoso's support assistant."},
            {"role": "user", "content": f"{context}\n\nQuestion: {question}"},
        ],
    )
    return response.choices[0].message.content
