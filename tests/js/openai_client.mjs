// Calls a running `qwen3emb serve` through the official OpenAI SDK for Node, as any user of the SDK would, and prints
// the embeddings it got as one JSON object: {"base64": [[...], ...], "float": [[...], ...], "usage": {...}}.
//   "base64": the SDK's default request (it asks for encoding_format base64 and decodes the float32 bytes itself)
//   "float":  encoding_format: "float" (JSON numbers)
// Usage: node tests/js/openai_client.mjs BASE_URL MODEL TEXT...   (BASE_URL like http://127.0.0.1:8000/v1)
import OpenAI from "openai";

const [baseURL, model, ...texts] = process.argv.slice(2);
if (!baseURL || !model || texts.length === 0) {
  console.error("usage: node openai_client.mjs BASE_URL MODEL TEXT...");
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: "not-needed", maxRetries: 0, timeout: 60_000 });

const byIndex = (r) => [...r.data].sort((a, b) => a.index - b.index).map((d) => Array.from(d.embedding));
const dflt = await client.embeddings.create({ model, input: texts });
const flt = await client.embeddings.create({ model, input: texts, encoding_format: "float" });
if (dflt.object !== "list" || dflt.model !== model || flt.data.length !== texts.length) {
  console.error("unexpected response shape: " + JSON.stringify({ object: dflt.object, model: dflt.model }));
  process.exit(1);
}
console.log(JSON.stringify({ base64: byIndex(dflt), float: byIndex(flt), usage: dflt.usage }));
