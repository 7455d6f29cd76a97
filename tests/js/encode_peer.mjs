// The independent tokenizer the C++ one is held to (tests/test_tokenizer.cpp, "Parity"): transformers.js's
// port of Hugging Face tokenizers, packaged as @lenml/tokenizers.
//
//   node tests/js/encode_peer.mjs TOKENIZER_DIR CORPUS.jsonl
//
// TOKENIZER_DIR holds tokenizer.json and tokenizer_config.json. CORPUS.jsonl has one {"text": "..."} per
// line; blank lines are skipped. For each text it prints one line: the JSON array of its ids, encoded
// without special tokens added (so nothing is appended; "<|im_start|>" inside the text is still one id).
import fs from "node:fs";
import path from "node:path";
import { TokenizerLoader } from "@lenml/tokenizers";

const [dir, corpus] = process.argv.slice(2);
if (!dir || !corpus) {
  console.error("usage: node encode_peer.mjs TOKENIZER_DIR CORPUS.jsonl");
  process.exit(2);
}

// Loads the tokenizer from the two JSON files.
const readJson = (name) => JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: readJson("tokenizer.json"),
  tokenizerConfig: readJson("tokenizer_config.json"),
});

// Encodes every text, one output line each, in input order.
const lines = fs.readFileSync(corpus, "utf8").split("\n");
const out = [];
for (const [n, line] of lines.entries()) {
  if (line.trim() === "") continue;
  let text;
  try {
    text = JSON.parse(line).text;
  } catch (e) {
    console.error(`${corpus}:${n + 1}: not JSON: ${e.message}`);
    process.exit(1);
  }
  if (typeof text !== "string") {
    console.error(`${corpus}:${n + 1}: no string field "text"`);
    process.exit(1);
  }
  out.push(JSON.stringify(tokenizer.encode(text, { add_special_tokens: false })));
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
