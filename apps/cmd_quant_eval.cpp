// qwen3emb quant-eval: what block quantisation costs the embeddings. Every projection weight (q, k, v, o, gate, up,
// down of every layer) is quantised in memory to each format and back (core/quant.h: quantize_row, then
// dequantize_row), and the same texts are embedded on the cpu backend with the original weights and with each
// round-tripped copy. Per format it reports the bytes the projections take, the weights' relative error, the cosine
// of every text's embedding with the original's (min, mean), what happens to a small retrieval set's rankings
// (top-1 agreement with the original model, mean rank displacement), and the time to quantise and to embed.
//
// The embedding table and the norms stay f32 (llama.cpp's Q4_K_M files quantise the token embeddings too; here only
// the matrices the GEMMs read are measured). A tensor whose rows are not a whole number of blocks (the tiny model's
// 64-wide rows against Q4_K's 256) cannot be stored row by row in GGUF — llama.cpp would give it another type —
// so it is quantised in blocks that run across its rows, and the report counts such tensors.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "apps/build_info.h"
#include "apps/commands.h"
#include "apps/model_options.h"
#include "core/embed.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/pooling.h"
#include "core/quant.h"
#include "core/weights.h"
#include "ref_cpu/cpu_backend.h"
#include "ref_cpu/threads.h"

namespace qwen3::cli {

namespace {

struct QuantEvalArgs {
  ModelOptions model;
  std::string retrieval = std::string(QWEN3_SOURCE_DIR) + "/tests/data/retrieval/retrieval.json";
  std::string formats = "BF16,Q8_0,Q4_K";
  std::vector<std::string> also;  // --also FILE.gguf: another program's quantised file of the same model
  std::string json;
};

// ---- the retrieval set ----------------------------------------------------------------------------------------

struct RetrievalSet {
  std::string task;
  std::vector<std::string> queries;
  std::vector<int64_t> relevant;  // per query: the index of the passage that answers it
  std::vector<std::string> passages;
};

// Reads {"task": str, "queries": [{"text": str, "relevant": int}], "passages": [str]}; FormatError naming the file
// and the field for anything else.
RetrievalSet read_retrieval(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw IoError("cannot read the retrieval set " + path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path + ": not JSON (" + e.what() + ")");
  }
  auto bad = [&](const std::string& what) { return FormatError(path + ": " + what); };
  if (!j.is_object() || !j.contains("task") || !j["task"].is_string()) throw bad("needs a string field \"task\"");
  if (!j.contains("passages") || !j["passages"].is_array() || j["passages"].empty())
    throw bad("needs a non-empty array \"passages\" of strings");
  if (!j.contains("queries") || !j["queries"].is_array() || j["queries"].empty())
    throw bad("needs a non-empty array \"queries\" of {\"text\", \"relevant\"}");
  RetrievalSet r;
  r.task = j["task"].get<std::string>();
  for (size_t i = 0; i < j["passages"].size(); ++i) {
    if (!j["passages"][i].is_string()) throw bad("passages[" + std::to_string(i) + "] is not a string");
    r.passages.push_back(j["passages"][i].get<std::string>());
  }
  for (size_t i = 0; i < j["queries"].size(); ++i) {
    const auto& q = j["queries"][i];
    const std::string at = "queries[" + std::to_string(i) + "]";
    if (!q.is_object() || !q.contains("text") || !q["text"].is_string()) throw bad(at + " needs a string \"text\"");
    if (!q.contains("relevant") || !q["relevant"].is_number_integer()) throw bad(at + " needs an integer \"relevant\"");
    const int64_t rel = q["relevant"].get<int64_t>();
    if (rel < 0 || rel >= static_cast<int64_t>(r.passages.size()))
      throw bad(at + ".relevant = " + std::to_string(rel) + " is not a passage index (0.." +
                std::to_string(r.passages.size() - 1) + ")");
    r.queries.push_back(q["text"].get<std::string>());
    r.relevant.push_back(rel);
  }
  return r;
}

// ---- quantising the projections -------------------------------------------------------------------------------

struct QuantReport {
  std::string format;
  int64_t projection_bytes = 0;   // what the projections take in this format
  int64_t projection_values = 0;
  int64_t tensors_across_rows = 0;  // quantised in blocks that run across rows (rows shorter than a block)
  double weight_rel_error = 0;      // ||W − Ŵ|| / ||W|| over all projections
  double quantise_s = 0, embed_s = 0;
  double cos_min = 1, cos_mean = 1;
  int64_t top1_agree = 0, label_hits = 0;
  double mean_rank_shift = 0;
  std::string file, types;  // --also rows: the file, and its projections' types ("Q4_K x154, Q6_K x42")
};

// Quantises every projection of `w` to `type` and back, in place. The report's byte, value and error fields.
void round_trip_projections(const ModelConfig& c, HostWeights& w, GgmlType type, QuantReport& rep) {
  const BlockFormat f = block_format(type);
  double err2 = 0, ref2 = 0;
  for_each_tensor(c, w, [&](const TensorSpec& spec, HostTensor& t) {
    if (spec.role != TensorRole::Projection) return;
    const int64_t rows = spec.shape[0], cols = spec.shape[1], n = rows * cols;
    // rows a whole number of blocks: row by row, as GGUF stores them; else the tensor as one long row
    const bool per_row = cols % f.block_values == 0;
    if (!per_row && n % f.block_values != 0)
      throw InputError(spec.name + ": " + std::to_string(n) + " values are not a whole number of " + f.name +
                       " blocks (" + std::to_string(f.block_values) + " values)");
    if (!per_row) ++rep.tensors_across_rows;
    const int64_t row_len = per_row ? cols : n, num_rows = n / row_len;
    // every core: the slow part (Q4_K's search)
    const std::vector<uint8_t> bytes = quantize_rows(type, t.data.data(), num_rows, row_len, spec.name);
    rep.projection_bytes += static_cast<int64_t>(bytes.size());
    std::vector<float> back(static_cast<size_t>(row_len));
    for (int64_t r = 0; r < num_rows; ++r) {
      float* row = t.data.data() + r * row_len;
      dequantize_row(type, bytes.data() + r * row_bytes(type, row_len), back.data(), row_len);
      for (int64_t i = 0; i < row_len; ++i) {
        err2 += (double(row[i]) - back[i]) * (double(row[i]) - back[i]);
        ref2 += double(row[i]) * row[i];
        row[i] = back[i];
      }
    }
    rep.projection_values += n;
  });
  rep.weight_rel_error = ref2 > 0 ? std::sqrt(err2 / ref2) : 0.0;
}

// The projections of `file` (a GGUF of the same model quantised by another program, e.g. llama-quantize),
// dequantised, in place of `w`'s. The report's byte, value and error fields, and which types the file uses for them.
HostWeights projections_from_file(const ModelConfig& c, const HostWeights& original, const std::string& file,
                                  QuantReport& rep) {
  const GgufFile g(file);  // opened once: its config, its weights and each projection's stored type and bytes
  const ModelConfig fc = gguf_model_config(g);
  if (describe(fc) != describe(c))
    throw InputError("--also " + file + ": a different model (" + describe(fc) + ", not " + describe(c) + ")");
  HostWeights from_file = load_gguf_host_weights(g, fc);
  // The result starts as a copy of the original (its embedding table and norms stay, as in the other rows) and
  // takes the file's projections, each compared with the original's before it is replaced. `out`: the copy's
  // tensors in for_each_tensor's order.
  HostWeights mixed = original;
  std::vector<HostTensor*> out;
  for_each_tensor(c, mixed, [&](const TensorSpec&, HostTensor& t) { out.push_back(&t); });
  std::map<std::string, int> types;
  double err2 = 0, ref2 = 0;
  size_t k = 0;
  for_each_tensor(c, from_file, [&](const TensorSpec& spec, HostTensor& t) {
    const size_t at = k++;
    if (spec.role != TensorRole::Projection) return;
    const GgufTensor* gt = g.find_tensor(gguf_tensor_name(spec.name));
    rep.projection_bytes += static_cast<int64_t>(gt->nbytes);
    rep.projection_values += numel(spec.shape);
    ++types[block_format(gt->type).name];
    const std::vector<float>& o = out[at]->data;
    for (size_t i = 0; i < t.data.size(); ++i) {
      err2 += (double(o[i]) - t.data[i]) * (double(o[i]) - t.data[i]);
      ref2 += double(o[i]) * o[i];
    }
    out[at]->data = std::move(t.data);
  });
  rep.weight_rel_error = ref2 > 0 ? std::sqrt(err2 / ref2) : 0.0;
  for (const auto& [name, n] : types) rep.types += (rep.types.empty() ? "" : ", ") + name + " x" + std::to_string(n);
  return mixed;
}

// ---- embedding and comparing ----------------------------------------------------------------------------------

struct Pass {
  std::vector<std::vector<float>> embeddings;  // queries first, then passages
  double seconds = 0;
};

Pass embed_all(const ModelConfig& c, HostWeights weights, const Tokenizer& tok, const std::vector<std::string>& texts) {
  cpu::CpuBackend backend(c, std::move(weights));
  const auto t0 = std::chrono::steady_clock::now();
  const auto out = embed_texts(backend, tok, texts, EmbedOptions{}, [](const std::string& w) {
    std::cerr << "warning: " << w << "\n";
  });
  Pass p;
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& e : out) p.embeddings.push_back(e.values);
  return p;
}

// Passage indices of query q, best first (score = cosine = dot of unit vectors; ties by index).
std::vector<int64_t> ranking(const Pass& p, const RetrievalSet& set, size_t q) {
  const size_t nq = set.queries.size();
  const auto& qe = p.embeddings[q];
  std::vector<double> score(set.passages.size());
  for (size_t j = 0; j < score.size(); ++j)
    score[j] = cosine(qe.data(), p.embeddings[nq + j].data(), static_cast<int64_t>(qe.size()));
  std::vector<int64_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  return order;
}

// Cosines per text, top-1 agreement and mean |rank_ref(p) − rank(p)| over every query and passage.
void compare_to_reference(const Pass& ref, const Pass& p, const RetrievalSet& set, QuantReport& rep) {
  double sum = 0;
  rep.cos_min = 1;
  for (size_t i = 0; i < p.embeddings.size(); ++i) {
    const double cs = cosine(p.embeddings[i].data(), ref.embeddings[i].data(), static_cast<int64_t>(p.embeddings[i].size()));
    rep.cos_min = std::min(rep.cos_min, cs);
    sum += cs;
  }
  rep.cos_mean = sum / static_cast<double>(p.embeddings.size());
  double shift = 0;
  rep.top1_agree = rep.label_hits = 0;
  for (size_t q = 0; q < set.queries.size(); ++q) {
    const auto a = ranking(ref, set, q), b = ranking(p, set, q);
    if (a[0] == b[0]) ++rep.top1_agree;
    if (b[0] == set.relevant[q]) ++rep.label_hits;
    std::vector<int64_t> rank_a(a.size()), rank_b(b.size());
    for (size_t r = 0; r < a.size(); ++r) rank_a[static_cast<size_t>(a[r])] = static_cast<int64_t>(r);
    for (size_t r = 0; r < b.size(); ++r) rank_b[static_cast<size_t>(b[r])] = static_cast<int64_t>(r);
    for (size_t j = 0; j < a.size(); ++j) shift += std::abs(static_cast<double>(rank_a[j] - rank_b[j]));
  }
  rep.mean_rank_shift = shift / static_cast<double>(set.queries.size() * set.passages.size());
}

GgmlType parse_format(const std::string& name) {
  if (name == "BF16") return GgmlType::BF16;
  if (name == "F16") return GgmlType::F16;
  if (name == "Q8_0") return GgmlType::Q8_0;
  if (name == "Q4_K") return GgmlType::Q4_K;
  throw InputError("--formats: unknown format '" + name + "' (expected BF16, F16, Q8_0 or Q4_K)");
}

void write_json(const std::string& path, const std::vector<QuantReport>& reps, const nlohmann::ordered_json& head) {
  nlohmann::ordered_json j = head;
  j["formats"] = nlohmann::ordered_json::array();
  for (const auto& r : reps) {
    j["formats"].push_back({{"format", r.format},
                            {"projection_bytes", r.projection_bytes},
                            {"bits_per_weight", 8.0 * double(r.projection_bytes) / double(std::max<int64_t>(r.projection_values, 1))},
                            {"tensors_quantised_across_rows", r.tensors_across_rows},
                            {"weight_rel_error", r.weight_rel_error},
                            {"cosine_min", r.cos_min},
                            {"cosine_mean", r.cos_mean},
                            {"top1_agreement", r.top1_agree},
                            {"mean_rank_displacement", r.mean_rank_shift},
                            {"label_hits_at_1", r.label_hits},
                            {"quantise_s", r.quantise_s},
                            {"embed_s", r.embed_s},
                            {"file", r.file},
                            {"file_projection_types", r.types}});
  }
  std::ofstream f(path);
  if (!f) throw IoError("cannot write " + path);
  f << j.dump(2) << "\n";
  if (!f) throw IoError("cannot write " + path);
}

void run_quant_eval(const QuantEvalArgs& a) {
  const ModelOptions& m = a.model;
  m.check_source();
  std::vector<GgmlType> formats;
  {
    std::stringstream ss(a.formats);
    std::string part;
    while (std::getline(ss, part, ',')) formats.push_back(parse_format(part));
    if (formats.empty()) throw InputError("--formats: give at least one of BF16, F16, Q8_0, Q4_K");
  }
  const RetrievalSet set = read_retrieval(a.retrieval);
  if (m.threads != 0) cpu::set_num_threads(m.threads);

  // The original weights (kept: each format starts from a copy).
  const std::string model_name = m.describe_source();
  const ModelConfig c = m.load_config();
  const HostWeights original = m.load_host_weights(c);
  const Tokenizer tok = m.make_tokenizer();
  std::vector<std::string> texts;
  for (const auto& q : set.queries) texts.push_back(format_query(set.task, q));
  for (const auto& p : set.passages) texts.push_back(p);

  std::vector<QuantReport> reps;
  QuantReport base;
  base.format = "F32";
  const Pass ref = embed_all(c, original, tok, texts);
  for (const TensorSpec& s : tensor_specs(c)) {
    if (s.role != TensorRole::Projection) continue;
    base.projection_values += numel(s.shape);
    base.projection_bytes += 4 * numel(s.shape);
  }
  base.embed_s = ref.seconds;
  compare_to_reference(ref, ref, set, base);
  reps.push_back(base);
  for (GgmlType t : formats) {
    QuantReport rep;
    rep.format = block_format(t).name;
    HostWeights w = original;
    const auto t0 = std::chrono::steady_clock::now();
    round_trip_projections(c, w, t, rep);
    rep.quantise_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Pass p = embed_all(c, std::move(w), tok, texts);
    rep.embed_s = p.seconds;
    compare_to_reference(ref, p, set, rep);
    reps.push_back(rep);
  }
  for (size_t i = 0; i < a.also.size(); ++i) {
    QuantReport rep;
    rep.format = "file" + std::to_string(i + 1);
    rep.file = a.also[i];
    const Pass p = embed_all(c, projections_from_file(c, original, a.also[i], rep), tok, texts);
    rep.embed_s = p.seconds;
    compare_to_reference(ref, p, set, rep);
    reps.push_back(rep);
  }

  const std::string commit = current_commit();
  std::printf("qwen3emb quant-eval: %s, commit %s, cpu backend\n", model_name.c_str(), commit.c_str());
  std::printf("%zu texts (%zu queries with the instruction prefix, %zu passages from %s)\n", texts.size(),
              set.queries.size(), set.passages.size(), a.retrieval.c_str());
  std::printf("%-6s %14s %9s %11s %9s %9s %8s %10s %9s %10s %8s\n", "format", "proj. bytes", "bits/w", "W rel err",
              "cos min", "cos mean", "top-1 =", "rank shift", "label@1", "quantise s", "embed s");
  for (const auto& r : reps) {
    std::printf("%-6s %14lld %9.3f %11.3e %9.6f %9.6f %4lld/%-3zu %10.3f %5lld/%-3zu %10.2f %8.2f\n", r.format.c_str(),
                static_cast<long long>(r.projection_bytes),
                8.0 * double(r.projection_bytes) / double(std::max<int64_t>(r.projection_values, 1)), r.weight_rel_error,
                r.cos_min, r.cos_mean, static_cast<long long>(r.top1_agree), set.queries.size(), r.mean_rank_shift,
                static_cast<long long>(r.label_hits), set.queries.size(), r.quantise_s, r.embed_s);
  }
  for (const auto& r : reps)
    if (r.tensors_across_rows > 0)
      std::printf("note: %s: %lld projections have rows shorter than a block and were quantised in blocks across rows "
                  "(GGUF could not store them so)\n",
                  r.format.c_str(), static_cast<long long>(r.tensors_across_rows));
  for (const auto& r : reps)
    if (!r.file.empty())
      std::printf("%s: %s, projections %s (its embedding table and norms not used)\n", r.format.c_str(), r.file.c_str(),
                  r.types.c_str());
  std::printf("cosines and rankings are against the F32 row; label@1: the top passage is the labelled one\n");

  if (!a.json.empty()) {
    nlohmann::ordered_json head;
    head["command"] = "quant-eval";
    head["model"] = model_name;
    head["commit"] = commit;
    head["config"] = c.to_json();
    head["texts"] = texts.size();
    head["queries"] = set.queries.size();
    head["passages"] = set.passages.size();
    write_json(a.json, reps, head);
  }
}

}  // namespace

void add_quant_eval(CLI::App& app) {
  auto args = std::make_shared<QuantEvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "quant-eval", "What quantising the projection weights (BF16, Q8_0, Q4_K) costs the embeddings: cosines, "
                    "rankings on a retrieval set, bytes and time, on the cpu backend");
  args->model.add_to(*cmd, /*backend_option=*/false);
  cmd->add_option("--retrieval", args->retrieval, "Retrieval set JSON (default: tests/data/retrieval/retrieval.json)");
  cmd->add_option("--formats", args->formats, "Comma-separated formats to try (default: BF16,Q8_0,Q4_K)");
  cmd->add_option("--also", args->also, "A GGUF file of the same model quantised by another program (e.g. "
                                        "llama-quantize): its projections as one more row (repeatable)");
  cmd->add_option("--json", args->json, "Also write the figures to this JSON file");
  cmd->callback([args] { run_quant_eval(*args); });
}

}  // namespace qwen3::cli
