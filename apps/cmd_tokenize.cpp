// qwen3emb tokenize [TEXT...]: token ids of each text, as the model sees them (<|endoftext|> appended).
//   default    one JSON array of ids per text:           [9707,11,1879,151643]
//   --pieces   each id with its vocabulary piece:         [{"id":9707,"piece":"Hello"},{"id":11,"piece":","},...]
//              (the byte-level spelling tokenizer.json stores: "Ġworld" is " world", Ġ standing for the space)
//   --decode   the inverse: a JSON array of ids per line -> the text as a JSON string
#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/commands.h"
#include "apps/model_options.h"
#include "apps/read_texts.h"
#include "apps/verbatim_texts.h"
#include "core/error.h"

namespace qwen3::cli {

namespace {

struct TokenizeArgs {
  ModelOptions model;
  std::vector<std::string> texts;
  bool no_eos = false;
  bool decode = false;
  bool pieces = false;
};

// [{"id":9707,"piece":"Hello"}, ...]: each id next to its token string as the vocabulary spells it.
nlohmann::json ids_with_pieces(const Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  nlohmann::json out = nlohmann::json::array();
  for (const int32_t id : ids) out.push_back({{"id", id}, {"piece", tokenizer.id_to_token(id)}});
  return out;
}

void run_tokenize(const TokenizeArgs& a) {
  const Tokenizer tokenizer = a.model.make_tokenizer();
  const std::vector<std::string> inputs = texts_from(a.texts);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (a.decode) {
      // Each input is a JSON array of ids (as `tokenize` prints them); the output is the text as JSON.
      nlohmann::json ids;
      try {
        ids = nlohmann::json::parse(inputs[i]);
      } catch (const nlohmann::json::parse_error&) {
        throw InputError("input " + std::to_string(i) + " is not a JSON array of token ids");
      }
      if (!ids.is_array()) throw InputError("input " + std::to_string(i) + " is not a JSON array of token ids");
      std::vector<int32_t> v;
      for (const auto& x : ids) {
        if (!x.is_number_integer()) throw InputError("input " + std::to_string(i) + ": token ids must be integers");
        v.push_back(x.get<int32_t>());
      }
      // Ids that split a character (BPE works on bytes) leave bytes that are no UTF-8: each such sequence is shown as
      // U+FFFD, as Hugging Face's decoders do, instead of failing inside the JSON writer.
      std::cout << nlohmann::json(tokenizer.decode(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
      continue;
    }
    size_t invalid = 0;
    const auto ids = a.no_eos ? tokenizer.encode(inputs[i], &invalid) : tokenizer.encode_for_embedding(inputs[i], &invalid);
    if (invalid > 0) {
      std::cerr << "warning: input " << i << ": " << invalid << " invalid UTF-8 byte(s) replaced with U+FFFD\n";
    }
    std::cout << (a.pieces ? ids_with_pieces(tokenizer, ids) : nlohmann::json(ids)).dump() << "\n";
  }
}

}  // namespace

void add_tokenize(CLI::App& app, VerbatimTexts& texts) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of texts (arguments, or stdin one per line)");
  texts.add_to(*cmd, &args->texts, "Texts (default: read stdin, one per line)");
  args->model.add_to(*cmd);
  cmd->add_flag("--no-eos", args->no_eos, "Do not append <|endoftext|> (151643)");
  CLI::Option* decode =
      cmd->add_flag("--decode", args->decode, "Inverse: each input is a JSON array of ids; print its text as JSON");
  cmd->add_flag("--pieces", args->pieces,
                "Print each id with its vocabulary piece, as tokenizer.json spells it (Ġ = a leading space)")
      ->excludes(decode);
  cmd->callback([args] { run_tokenize(*args); });
}

}  // namespace qwen3::cli
