// qwen3emb embed [TEXT...]: one embedding per text (arguments, or stdin one per line).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/cli_checks.h"
#include "apps/commands.h"
#include "apps/model_options.h"
#include "apps/read_texts.h"
#include "apps/verbatim_texts.h"
#include "core/embed.h"
#include "core/error.h"

namespace qwen3::cli {

namespace {

struct EmbedArgs {
  ModelOptions model;
  std::vector<std::string> texts;
  std::string instruct;
  int64_t dim = 0;
  int64_t max_tokens = 8192;
  std::string format = "jsonl";
};

// A float with enough digits to read back the same float32 (9 significant digits).
std::string float_text(float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(x));
  return buf;
}

std::string vector_text(const std::vector<float>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",";
    s += float_text(v[i]);
  }
  return s + "]";
}

void run_embed(const EmbedArgs& a) {
  std::vector<std::string> texts = texts_from(a.texts);
  if (texts.empty()) throw InputError("no input: give texts as arguments or one per line on stdin");
  if (!a.instruct.empty()) {
    for (std::string& t : texts) t = format_query(a.instruct, t);
  }
  const Tokenizer tokenizer = a.model.make_tokenizer();
  auto backend = a.model.make_backend();
  EmbedOptions opt;
  opt.dim = a.dim;
  opt.max_tokens = a.max_tokens;
  const auto embeddings =
      embed_texts(*backend, tokenizer, texts, opt, [](const std::string& w) { std::cerr << "warning: " << w << "\n"; });

  // Numbers are written by hand (vector_text) so that every float has 9 significant digits.
  if (a.format == "openai") {
    int64_t tokens = 0;
    std::string data;
    for (size_t i = 0; i < embeddings.size(); ++i) {
      tokens += embeddings[i].tokens;
      data += std::string(i ? "," : "") + "{\"object\":\"embedding\",\"index\":" + std::to_string(i) +
              ",\"embedding\":" + vector_text(embeddings[i].values) + "}";
    }
    const nlohmann::json usage = {{"prompt_tokens", tokens}, {"total_tokens", tokens}};
    const std::string model_name = a.model.random_weights ? "random-" + a.model.preset : a.model.resolved_model_dir();
    std::cout << "{\"object\":\"list\",\"data\":[" << data << "],\"model\":" << nlohmann::json(model_name).dump()
              << ",\"usage\":" << usage.dump() << "}\n";
  } else {
    for (size_t i = 0; i < embeddings.size(); ++i) {
      std::cout << "{\"index\":" << i << ",\"embedding\":" << vector_text(embeddings[i].values)
                << ",\"tokens\":" << embeddings[i].tokens << "}\n";
    }
  }
}

}  // namespace

void add_embed(CLI::App& app, VerbatimTexts& texts) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Embed texts (arguments, or stdin one per line) as JSON lines");
  texts.add_to(*cmd, &args->texts, "Texts to embed (default: read stdin, one per line)");
  args->model.add_to(*cmd);
  cmd->add_option("--instruct", args->instruct, "Query instruction: embeds 'Instruct: TASK\\nQuery:TEXT'");
  cmd->add_option("--dim", args->dim, "Matryoshka: keep the first N dimensions (32..hidden), re-normalised");
  cmd->add_option("--max-tokens", args->max_tokens, "Cut longer inputs to this many tokens (with a warning)")
      ->check(whole_number(1));
  cmd->add_option("--format", args->format, "jsonl: {\"index\",\"embedding\",\"tokens\"} per line; "
                                            "openai: one OpenAI embeddings response")
      ->check(CLI::IsMember({"jsonl", "openai"}));
  cmd->callback([args] { run_embed(*args); });
}

}  // namespace qwen3::cli
