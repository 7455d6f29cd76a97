// qwen3emb end to end: the commands a user runs, and every kind of bad input giving one clear line on
// stderr and a non-zero exit (never a crash).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/safetensors.h"
#include "core/tiny_model.h"
#include "core/weights.h"
#include "tests/test_util.h"

using qwen3::test::CommandResult;
using qwen3::test::run_cli;
using qwen3::test::shell_quote;
using qwen3::test::TempDir;
namespace fs = std::filesystem;

namespace {

double norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s);
}

// An error is one line on stderr starting with "error:", containing `phrase`, and exit status 1.
void expect_error(const CommandResult& r, const std::string& phrase) {
  EXPECT_EQ(r.status, 1) << r.err;
  ASSERT_FALSE(r.err.empty());
  const std::string last = r.err.substr(r.err.rfind("error:") == std::string::npos ? 0 : r.err.rfind("error:"));
  EXPECT_EQ(last.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(last.begin(), last.end(), '\n'), 1) << "not one line: " << r.err;
  EXPECT_NE(last.find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << r.err;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override { QWEN3_REQUIRE_PATH(qwen3::test::tiny_model_dir() + "/model.safetensors"); }

  // A copy of the tiny model in a temporary folder, to break on purpose.
  std::string copy_model() {
    const fs::path dst = tmp.path() / "model";
    fs::copy(qwen3::test::tiny_model_dir(), dst, fs::copy_options::recursive);
    return dst.string();
  }

  // Rewrites a safetensors header through `edit`, keeping the data bytes.
  static void rewrite_header(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
    const std::string bytes = qwen3::test::read_file(path);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    auto header = nlohmann::ordered_json::parse(bytes.substr(8, n));
    nlohmann::json h = header;
    edit(h);
    std::string text = h.dump();
    while (text.size() % 8) text += ' ';
    const uint64_t m = text.size();
    std::string out(reinterpret_cast<const char*>(&m), 8);
    qwen3::test::write_file(path, out + text + bytes.substr(8 + n));
  }

  TempDir tmp;
};

}  // namespace

TEST_F(Cli, EmbedsWithTheDefaultModel) {
  const auto r = run_cli("embed 'Hello world'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("default tiny model"), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["index"], 0);
  const auto e = j["embedding"].get<std::vector<float>>();
  EXPECT_EQ(e.size(), 64u);
  EXPECT_NEAR(norm(e), 1.0, 1e-6);
  EXPECT_EQ(j["tokens"], 3);  // "Hello", " world", <|endoftext|>
}

TEST_F(Cli, ReadsStdinOneTextPerLine) {
  const std::string input = "first line\nsecond line\r\nthird\n";
  const auto r = run_cli("embed --dim 32", &input);
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["index"], n++);
    const auto e = j["embedding"].get<std::vector<float>>();
    EXPECT_EQ(e.size(), 32u);
    EXPECT_NEAR(norm(e), 1.0, 1e-6);
  }
  EXPECT_EQ(n, 3);
}

TEST_F(Cli, MatryoshkaIsTheRenormalisedPrefix) {
  const auto full = nlohmann::json::parse(run_cli("embed 'a b c'").out)["embedding"].get<std::vector<float>>();
  const auto cut = nlohmann::json::parse(run_cli("embed --dim 40 'a b c'").out)["embedding"].get<std::vector<float>>();
  ASSERT_EQ(cut.size(), 40u);
  const double prefix = norm(std::vector<float>(full.begin(), full.begin() + 40));
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(cut[i], full[i] / prefix, 1e-6);
}

TEST_F(Cli, OpenAiFormat) {
  const auto r = run_cli("embed --format openai one two");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["object"], "embedding");
  EXPECT_EQ(j["data"][1]["index"], 1);
  EXPECT_EQ(j["data"][1]["embedding"].size(), 64u);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 4);  // "one" + EOS, "two" + EOS
}

TEST_F(Cli, InstructionFormatsTheQuery) {
  const auto a = run_cli("embed --instruct 'Find the answer' 'what is RoPE?'");
  const auto b = run_cli(std::string("embed ") + shell_quote("Instruct: Find the answer\nQuery:what is RoPE?"));
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

TEST_F(Cli, EmptyStringEmbedsTheLoneEndOfText) {
  const auto r = run_cli("embed ''");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"], 1);
  EXPECT_EQ(run_cli("tokenize ''").out, "[151643]\n");
}

TEST_F(Cli, InvalidUtf8IsReplacedWithAWarning) {
  const std::string input = "ab\xff\xfe" "cd\n";
  const auto r = run_cli("embed", &input);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("warning: input 0: 2 invalid UTF-8 byte(s) replaced with U+FFFD"), std::string::npos) << r.err;
  const std::string fixed = "ab\xef\xbf\xbd\xef\xbf\xbd" "cd";
  EXPECT_EQ(run_cli("tokenize", &input).out, run_cli("tokenize " + shell_quote(fixed)).out);
}

TEST_F(Cli, LongInputsAreTruncatedWithAWarning) {
  const auto r = run_cli("embed --max-tokens 5 'one two three four five six seven'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("warning: input 0: 8 tokens, truncated to 5 (--max-tokens)"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"], 5);
}

TEST_F(Cli, TokenizeAndDecode) {
  const auto r = run_cli("tokenize --no-eos 'Hello world <|im_start|> don'\\''t'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[9707,1879,220,151644,1513,944]\n");
  const std::string ids = "[9707,1879,220,151644,1513,944]\n";
  EXPECT_EQ(run_cli("tokenize --decode", &ids).out, "\"Hello world <|im_start|> don't\"\n");
  const std::string bad = "[1, \"x\"]\n";
  expect_error(run_cli("tokenize --decode", &bad), "token ids must be integers");
}

// --pieces: each id with its vocabulary piece in byte-level spelling (Ġ a leading space, Ċ a newline), the same
// ids as without it, one JSON line per text; it excludes --decode.
TEST_F(Cli, TokenizePiecesShowTheByteLevelSpelling) {
  const auto r = run_cli("tokenize --pieces 'Hello, world'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "[{\"id\":9707,\"piece\":\"Hello\"},{\"id\":11,\"piece\":\",\"},{\"id\":1879,\"piece\":\"\u0120world\"},"
            "{\"id\":151643,\"piece\":\"<|endoftext|>\"}]\n");
  // the same ids as plain tokenize, for texts read from stdin (one line each), --no-eos respected
  const std::string lines = "caf\xC3\xA9 au lait\nline one\tand two  spaces\n";
  const auto ids = run_cli("tokenize --no-eos", &lines);
  const auto pieces = run_cli("tokenize --no-eos --pieces", &lines);
  ASSERT_EQ(pieces.status, 0) << pieces.err;
  std::istringstream id_lines(ids.out), piece_lines(pieces.out);
  std::string id_line, piece_line;
  int texts = 0;
  while (std::getline(id_lines, id_line) && std::getline(piece_lines, piece_line)) {
    ++texts;
    const auto want = nlohmann::json::parse(id_line);
    const auto got = nlohmann::json::parse(piece_line);
    ASSERT_EQ(got.size(), want.size()) << piece_line;
    std::string joined;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i]["id"], want[i]) << piece_line;
      joined += got[i]["piece"].get<std::string>();
    }
    // no raw space, tab or byte >= 0x80 of the text shows: each is its printable stand-in
    EXPECT_EQ(joined.find(' '), std::string::npos) << joined;
    EXPECT_EQ(joined.find('\t'), std::string::npos) << joined;
    const std::string stand_in = texts == 1 ? "\u00C3\u00A9" : "\u0109";  // "é" as "Ã©"; the tab as "ĉ"
    EXPECT_NE(joined.find(stand_in), std::string::npos) << joined;
  }
  EXPECT_EQ(texts, 2);
  expect_error(run_cli("tokenize --pieces --decode '[9707]'"), "--decode");
}

TEST_F(Cli, HelpEverywhere) {
  for (const char* sub : {"", "embed ", "tokenize ", "init-tiny "}) {
    const auto r = run_cli(std::string(sub) + "--help");
    EXPECT_EQ(r.status, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub;
  }
}

// ---- bad input ----------------------------------------------------------------------------------------

TEST_F(Cli, MissingModelDirectory) { expect_error(run_cli("embed --model /nonexistent/model x"), "does not exist"); }

TEST_F(Cli, ConfigNotJson) {
  const auto dir = copy_model();
  qwen3::test::write_file(dir + "/config.json", "{ not json");
  expect_error(run_cli("embed --model " + dir + " x"), "config.json: not valid JSON");
}

TEST_F(Cli, ConfigMissingField) {
  const auto dir = copy_model();
  auto j = nlohmann::json::parse(qwen3::test::read_file(dir + "/config.json"));
  j.erase("num_key_value_heads");
  qwen3::test::write_file(dir + "/config.json", j.dump());
  expect_error(run_cli("embed --model " + dir + " x"), "missing field 'num_key_value_heads'");
}

TEST_F(Cli, SafetensorsTruncated) {
  const auto dir = copy_model();
  fs::resize_file(dir + "/model.safetensors", 1000);
  const auto r = run_cli("embed --model " + dir + " x");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("model.safetensors"), std::string::npos) << r.err;
}

TEST_F(Cli, SafetensorsHeaderLongerThanFile) {
  const auto dir = copy_model();
  std::fstream f(dir + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
  const uint64_t huge = 1ull << 40;
  f.write(reinterpret_cast<const char*>(&huge), 8);
  f.close();
  expect_error(run_cli("embed --model " + dir + " x"), "header");
}

TEST_F(Cli, SafetensorsUnknownDtype) {
  const auto dir = copy_model();
  rewrite_header(dir + "/model.safetensors", [](nlohmann::json& h) { h["model.norm.weight"]["dtype"] = "Q4"; });
  expect_error(run_cli("embed --model " + dir + " x"), "Q4");
}

TEST_F(Cli, SafetensorsOverlappingOffsets) {
  const auto dir = copy_model();
  rewrite_header(dir + "/model.safetensors", [](nlohmann::json& h) {
    h["model.norm.weight"]["data_offsets"] = h["model.layers.0.input_layernorm.weight"]["data_offsets"];
  });
  expect_error(run_cli("embed --model " + dir + " x"), "overlap");
}

TEST_F(Cli, SafetensorsOffsetsPastTheEnd) {
  const auto dir = copy_model();
  rewrite_header(dir + "/model.safetensors", [](nlohmann::json& h) {
    const uint64_t end = h["model.norm.weight"]["data_offsets"][1].get<uint64_t>();
    h["model.norm.weight"]["data_offsets"] = {end + 4096, end + 4096 + 256};
  });
  expect_error(run_cli("embed --model " + dir + " x"), "model.norm.weight");
}

TEST_F(Cli, TensorShapeDisagreesWithConfig) {
  const auto dir = copy_model();
  auto j = nlohmann::json::parse(qwen3::test::read_file(dir + "/config.json"));
  j["intermediate_size"] = 100;
  qwen3::test::write_file(dir + "/config.json", j.dump());
  expect_error(run_cli("embed --model " + dir + " x"), "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [192, 64] but the config needs [100, 64]");
}

TEST_F(Cli, MissingTensor) {
  const auto dir = copy_model();
  const qwen3::ModelConfig c = qwen3::tiny_config();
  qwen3::HostWeights w = qwen3::random_host_weights(c, 1);
  std::vector<qwen3::TensorToWrite> tensors;
  qwen3::for_each_tensor(c, w, [&](const qwen3::TensorSpec& s, qwen3::HostTensor& t) {
    if (s.name != "model.layers.1.self_attn.k_norm.weight") tensors.push_back({s.name, qwen3::DType::F32, s.shape, t.ptr()});
  });
  qwen3::write_safetensors(dir + "/model.safetensors", tensors);
  expect_error(run_cli("embed --model " + dir + " x"), "model.layers.1.self_attn.k_norm.weight");
}

TEST_F(Cli, BadOptionValues) {
  expect_error(run_cli("embed --dim 16 x"), "--dim 16 is outside 32..64");
  expect_error(run_cli("embed --dim 65 x"), "--dim 65 is outside 32..64");
  expect_error(run_cli("embed --gemm tpu x"), "--gemm");
  expect_error(run_cli("embed --backend tpu x"), "unknown backend 'tpu'");
  expect_error(run_cli("embed --random-weights x"), "--random-weights needs --config");
  const std::string nothing;
  expect_error(run_cli("embed", &nothing), "no input");
}

TEST_F(Cli, InitTinyIsDeterministic) {
  const auto a = run_cli("init-tiny --out " + tmp.file("a"));
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(qwen3::test::read_file(tmp.file("a/model.safetensors")),
            qwen3::test::read_file(qwen3::test::tiny_model_dir() + "/model.safetensors"));
  EXPECT_EQ(qwen3::test::read_file(tmp.file("a/config.json")),
            qwen3::test::read_file(qwen3::test::tiny_model_dir() + "/config.json"));
  expect_error(run_cli("init-tiny --out " + tmp.file("b") + " --tokenizer /nonexistent"), "tokenizer file");
}

TEST_F(Cli, CompareSameBackendPasses) {
  const auto r = run_cli("compare --backends cpu,cpu --ops --lengths 1,9,40");
  ASSERT_EQ(r.status, 0) << r.err;
  // One numbering for states and ops: the tiny model's 3 layers are layer 0..2 in both tables.
  EXPECT_NE(r.out.find("\nlayer 0 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nlayer 2 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("layer 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("final norm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("every op agrees"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("layer 2 / residual_mlp"), std::string::npos) << r.out;  // --ops rows
  EXPECT_NE(r.out.find("layer 0 / q_rope"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nPASS: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST_F(Cli, CompareTextsAndBadArguments) {
  const auto r = run_cli("compare --backends cpu,cpu 'one text' 'and another'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 sequences"), std::string::npos) << r.out;
  expect_error(run_cli("compare --backends cpu x"), "--backends takes two names");
  expect_error(run_cli("compare --backends cpu,gpu x"), "unknown backend 'gpu'");
  expect_error(run_cli("compare --backends cpu,cpu --lengths 0"), "lengths must be at least 1");
}

// Without a GPU (or without CUDA in the build) the CUDA backend says why in one line; with one, it runs.
TEST_F(Cli, CudaBackendRunsOrSaysWhyNot) {
  const auto r = run_cli("embed --backend cuda_naive 'hello'");
  if (r.status == 0) {
    EXPECT_EQ(nlohmann::json::parse(r.out)["embedding"].size(), 64u);
  } else {
    expect_error(r, "cuda_naive");
  }
}

// ---- texts are texts, and the command line's own errors ---------------------------------------------------

// A positional argument is one text whatever it holds: CLI11 alone split "[hello, world]" into two texts, made
// "[hello]" into "hello" and dropped "[]" (a silent wrong answer), also after "--".
TEST_F(Cli, BracketsCommasAndDashesStayInOneText) {
  // three runs over the same texts: stdin (one per line, never split), arguments, arguments after "--"
  const std::vector<std::string> texts = {"[hello, world]", "[hello]", "[]", "a,b", "\"quoted\"", "[9707,11]"};
  std::string lines, args;
  for (const std::string& t : texts) {
    lines.append(t).append("\n");
    args.append(" ").append(shell_quote(t));
  }
  const auto from_stdin = run_cli("tokenize --no-eos", &lines);
  ASSERT_EQ(from_stdin.status, 0) << from_stdin.err;
  ASSERT_EQ(std::count(from_stdin.out.begin(), from_stdin.out.end(), '\n'), 6) << from_stdin.out;
  const auto from_args = run_cli("tokenize --no-eos" + args);
  EXPECT_EQ(from_args.status, 0) << from_args.err;
  EXPECT_EQ(from_args.out, from_stdin.out) << "an argument was not taken as one text";
  const auto after_dashes = run_cli("tokenize --no-eos --" + args);
  EXPECT_EQ(after_dashes.out, from_stdin.out) << "after --";
  // texts that look like options, after "--"
  const std::string dashed_lines = "--dim\n-x\n";
  const auto dashed = run_cli("tokenize --no-eos -- --dim -x");
  ASSERT_EQ(dashed.status, 0) << dashed.err;
  EXPECT_EQ(dashed.out, run_cli("tokenize --no-eos", &dashed_lines).out);
  // embed: one text, one embedding; options before and after the texts still work
  const auto e = run_cli("embed '[hello, world]' --dim 32");
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(std::count(e.out.begin(), e.out.end(), '\n'), 1) << e.out;
  EXPECT_EQ(nlohmann::json::parse(e.out)["embedding"].size(), 32u);
  // compare: two texts stay two sequences
  const auto c = run_cli("compare --backends cpu,cpu '[a, b]' '[]'");
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_NE(c.out.find("2 sequences"), std::string::npos) << c.out;
}

// The documented `tokenize --decode "[9707,11]"` works with the ids as an argument, as on stdin.
TEST_F(Cli, DecodeIdsGivenAsAnArgument) {
  const auto r = run_cli("tokenize --decode '[9707,11]'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "\"Hello,\"\n");
}

// One id holding only part of a character's UTF-8 bytes decodes with U+FFFD in its place (as Hugging Face's
// decoders do), and the two ids together give the character.
TEST_F(Cli, DecodingPartOfACharacterShowsTheReplacementCharacter) {
  const auto part = run_cli("tokenize --decode '[94305]'");
  ASSERT_EQ(part.status, 0) << part.err;
  EXPECT_NE(part.out.find("\xEF\xBF\xBD"), std::string::npos) << part.out;
  const auto whole = run_cli("tokenize --decode '[94305,245]'");
  ASSERT_EQ(whole.status, 0) << whole.err;
  EXPECT_EQ(whole.out, "\" \xE5\x8C\x97\"\n");  // " 北"
}

// CLI11's own errors (bad values, unknown options, no or unknown subcommand) follow the project's rule: one
// "error: ..." line pointing at --help, exit status 1 (CLI11 exits 104-114 in two lines).
TEST_F(Cli, CommandLineErrorsAreOneLineAndExitOne) {
  struct Case {
    const char* args;
    const char* says;
  };
  for (const Case& c : {Case{"embed --dim x hi", "--dim"}, Case{"embed --format xml hi", "xml"},
                        Case{"embed --bogus hi", "--bogus"}, Case{"", "no subcommand given"},
                        Case{"frobnicate", "unknown subcommand 'frobnicate'"}, Case{"flops --seq", "--seq"},
                        // numbers out of range say what is expected (no 300-digit bound, no wrapped seed)
                        Case{"embed --max-tokens 0 hi", "must be a whole number from 1 to"},
                        Case{"embed --max-tokens 1e20 hi", "not '1e20'"},
                        Case{"embed --random-weights --config 0.6b --seed -1 hi", "--seed: must be a whole number from 0"},
                        Case{"trace --passes 0 -o t.json", "--passes: must be a whole number from 1 to 1048576"}}) {
    const auto r = run_cli(c.args);
    expect_error(r, c.says);
    EXPECT_NE(r.err.find("--help"), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

// --version says what this binary is: version, commit, build type, CPU instruction sets, CUDA architectures.
TEST_F(Cli, VersionSaysHowItWasBuilt) {
  const auto r = run_cli("--version");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* field : {"qwen3emb ", "commit: ", "build type: ", "CPU instruction sets: ", "CUDA architectures: "}) {
    EXPECT_NE(r.out.find(field), std::string::npos) << field << " missing in: " << r.out;
  }
}

// flops --seq near INT64_MAX printed negative FLOP counts with exit status 0: the counts' inputs are bounded.
TEST_F(Cli, FlopsRefusesCountsThatCannotBeExact) {
  expect_error(run_cli("flops --config 8b --seq 9223372036854775807"), "--seq");
  expect_error(run_cli("flops --config 8b --batch 0"), "--batch");
  expect_error(run_cli("flops --config 8b --tflops nan"), "--tflops");
}

// A NaN window passed CLI11's Range (every comparison with NaN is false) and the server started.
TEST_F(Cli, ServeRefusesABadBatchingWindow) {
  if (run_cli("serve --help").status != 0) GTEST_SKIP() << "qwen3emb built without the server (no Boost)";
  expect_error(run_cli("serve --max-batch-wait-ms nan"), "--max-batch-wait-ms: must be a number from 0 to 10000, not 'nan'");
  expect_error(run_cli("serve --max-batch-wait-ms -1"), "--max-batch-wait-ms");
  expect_error(run_cli("serve --max-batch-wait-ms 10001"), "--max-batch-wait-ms");
}
