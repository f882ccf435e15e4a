// Searches the Project Obsidian document set and summarises hits with Claude.
import Anthropic from "@anthropic-ai/sdk";
import { Pinecone } from "@pinecone-database/pinecone";

const anthropic = new Anthropic();
const pinecone = new Pinecone();
const index = pinecone.index("obsidian-docs");

export async function summarise(query: string): Promise<string> {
  const hits = await index.query({ topK: 5, vector: await embed(query) });
  const msg = await anthropic.messages.create({
    model: "claude-3-5-sonnet-20241022",
    max_tokens: 1024,
    messages: [{ role: "user", content: `Summarise: ${JSON.stringify(hits.matches)}` }],
  });
  return msg.content[0].type === "text" ? msg.content[0].text : "";
}

async function embed(text: string): Promise<number[]> {
  return Array.from({ length: 1536 }, (_, i) => (text.charCodeAt(i % text.length) % 7) / 7);
}
