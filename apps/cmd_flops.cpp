// qwen3emb flops: how much arithmetic one forward pass is (core/flops.h), the analysis's closed formula and
// this project's exact count side by side, op by op; with --tflops and --bandwidth, the roofline bound:
// compute time, weight-load time and the most embeddings per second the device could give (docs/flops.md);
// with only one of them, the bound that one alone sets.
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <string>

#include "apps/commands.h"
#include "core/error.h"
#include "core/flops.h"
#include "core/model_dir.h"

namespace qwen3::cli {

namespace {

struct FlopsArgs {
  std::string preset;
  std::string model_dir;
  int64_t seq = 1024;
  int64_t batch = 1;
  double tflops = 0;
  double bandwidth = 0;
  std::string weight_dtype = "bf16";
};

// x with an SI prefix and 4 significant digits: 1.64e13 -> "16.40 T".
std::string si(double x) {
  const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  int p = 0;
  while (x >= 1000.0 && p < 6) x /= 1000.0, ++p;
  char buf[32];
  std::snprintf(buf, sizeof buf, x >= 100 ? "%.1f %s" : x >= 10 ? "%.2f %s" : "%.3f %s", x, prefixes[p]);
  return buf;
}

std::string fixed3(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

// s padded with spaces to `width` characters on screen (UTF-8: count code points, not bytes).
std::string pad(const std::string& s, size_t width, bool right = false) {
  size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  const std::string fill(n < width ? width - n : 0, ' ');
  return right ? fill + s : s + fill;
}

void print_counts(const ModelConfig& c, const std::vector<int64_t>& lengths) {
  const int64_t S = lengths.front();
  const double L = static_cast<double>(c.num_hidden_layers), h = static_cast<double>(c.hidden_size);
  const double B = static_cast<double>(lengths.size()), T = B * static_cast<double>(S);
  const FlopCount exact = exact_flops(c, lengths);
  const double closed = closed_formula_flops(c, lengths);

  std::printf("closed formula (the analysis, Llama-style): L × (10·S·h + 25.5·S·h² + 4·S²·h + 5·S²·heads)\n");
  const std::string times_b = lengths.size() > 1 ? " × " + std::to_string(lengths.size()) + " sequences" : "";
  std::printf("  = %lld × (%sFLOP + %sFLOP + %sFLOP + %sFLOP)%s = %sFLOP\n\n",
              static_cast<long long>(c.num_hidden_layers), si(closed_elementwise_flops(c, S)).c_str(),
              si(closed_weight_matmuls_flops(c, S)).c_str(), si(closed_attention_matmuls_flops(c, S)).c_str(),
              si(closed_softmax_flops(c, S)).c_str(), times_b.c_str(), si(closed).c_str());

  std::printf("%s %s %s %s %s  %s\n", pad("term / op", 20).c_str(), pad("closed", 12, true).c_str(),
              pad("exact causal", 13, true).c_str(), pad("exact full", 12, true).c_str(),
              pad("causal/closed", 13, true).c_str(), "how the exact count differs (FLOP: whole pass, all layers)");
  // One closed-formula term, then the ops it stands for.
  auto term_rows = [&](ClosedTerm term, double closed_term, const std::string& summary) {
    const double ec = exact.causal_sum(term), ef = exact.full_sum(term);
    const std::string ratio = closed_term > 0 ? fixed3(ec / closed_term) : "";
    std::printf("%s %s %s %s %s  %s\n", pad(closed_term_name(term), 20).c_str(),
                pad(closed_term > 0 ? si(closed_term) : "-", 12, true).c_str(), pad(si(ec), 13, true).c_str(),
                pad(si(ef), 12, true).c_str(), pad(ratio, 13, true).c_str(), summary.c_str());
    for (const OpFlops& op : exact.ops) {
      if (op.term != term) continue;
      std::printf("  %s %s %s %s %s  %s\n", pad(op.name, 18).c_str(), pad("", 12).c_str(),
                  pad(si(op.causal), 13, true).c_str(), pad(si(op.full), 12, true).c_str(), pad("", 13).c_str(),
                  op.why.c_str());
    }
  };
  auto per = [&](double flops, const char* unit, double denom) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.3g·%s per layer", flops / (L * denom), unit);
    return std::string(buf);
  };
  double closed_sum[4] = {0, 0, 0, 0};
  for (int64_t s : lengths) {
    closed_sum[0] += L * closed_weight_matmuls_flops(c, s);
    closed_sum[1] += L * closed_attention_matmuls_flops(c, s);
    closed_sum[2] += L * closed_softmax_flops(c, s);
    closed_sum[3] += L * closed_elementwise_flops(c, s);
  }
  const double S2 = static_cast<double>(S) * static_cast<double>(S) * B;
  term_rows(ClosedTerm::WeightMatmuls, closed_sum[0],
            "weight matmuls: exact " + per(exact.causal_sum(ClosedTerm::WeightMatmuls), "S·h²", T * h * h) +
                ", not 25.5");
  term_rows(ClosedTerm::AttentionMatmuls, closed_sum[1],
            "Q Kᵀ and P V: exact " + per(exact.full_sum(ClosedTerm::AttentionMatmuls), "S²·h", S2 * h) +
                " over the full square, half that causal");
  term_rows(ClosedTerm::Softmax, closed_sum[2], "softmax: 6 FLOPs per score, not 5; causal: half the scores");
  term_rows(ClosedTerm::Elementwise, closed_sum[3],
            "elementwise: exact " + per(exact.causal_sum(ClosedTerm::Elementwise), "S·h", T * h) + ", not 10");
  term_rows(ClosedTerm::None, 0, "outside the layers: not in the formula");
  std::printf("%s %s %s %s %s  %s\n", pad("total", 20).c_str(), pad(si(closed), 12, true).c_str(),
              pad(si(exact.causal_total()), 13, true).c_str(), pad(si(exact.full_total()), 12, true).c_str(),
              pad(fixed3(exact.causal_total() / closed), 13, true).c_str(),
              "FLOP of one forward pass");
}

// With --tflops and/or --bandwidth: how long a pass must take at least, and the most embeddings/s it allows.
void print_bound(const FlopsArgs& a, const ModelConfig& c, const std::vector<int64_t>& lengths) {
  const int bpp = a.weight_dtype == "fp32" ? 4 : 2;
  const int64_t T = a.seq * a.batch;
  const bool rate = a.tflops > 0, bandwidth = a.bandwidth > 0;
  const double f_closed = closed_formula_flops(c, lengths), f_exact = exact_flops(c, lengths).causal_total();
  const double w_all = weight_bytes(c, bpp), w_read = weight_bytes_read(c, T, bpp);
  auto num = [](const char* fmt, double x) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, x);
    return std::string(buf);
  };
  std::printf("\nbound%s%s%s, %s weights", rate ? num(" at %g TFLOP/s", a.tflops).c_str() : "",
              rate && bandwidth ? " and" : "", bandwidth ? num(" at %g TB/s", a.bandwidth).c_str() : "",
              a.weight_dtype.c_str());
  if (rate && bandwidth) std::printf(" (ridge point: %.0f FLOP per byte)", a.tflops / a.bandwidth);
  std::printf("\n%-42s %20s %20s\n", "", "closed formula", "exact (causal)");
  auto row = [](const char* label, const std::string& x, const std::string& y) {
    std::printf("%-42s %20s %20s\n", label, x.c_str(), y.c_str());
  };
  row("FLOP per pass", si(f_closed) + "FLOP", si(f_exact) + "FLOP");
  row("weight bytes per pass", si(w_all) + "B (all)", si(w_read) + "B (read)");
  // A missing rate counts as infinitely fast: its time is 0 and the other one bounds the pass.
  const double tc_closed = rate ? compute_time_s(f_closed, a.tflops) : 0;
  const double tc_exact = rate ? compute_time_s(f_exact, a.tflops) : 0;
  const double tw_closed = bandwidth ? weight_load_time_s(w_all, a.bandwidth) : 0;
  const double tw_exact = bandwidth ? weight_load_time_s(w_read, a.bandwidth) : 0;
  if (rate) row("compute time  F / R", num("%.3g s", tc_closed), num("%.3g s", tc_exact));
  if (bandwidth) row("weight-load time  W / BW", num("%.3g s", tw_closed), num("%.3g s", tw_exact));
  row("arithmetic intensity  F / W", num("%.0f FLOP/B", arithmetic_intensity(f_closed, w_all)),
      num("%.0f FLOP/B", arithmetic_intensity(f_exact, w_read)));
  if (rate && bandwidth) {
    row("bound by", tc_closed >= tw_closed ? "compute" : "weight loading",
        tc_exact >= tw_exact ? "compute" : "weight loading");
  }
  const double e_closed = embeddings_per_s_bound(a.batch, tc_closed, tw_closed);
  const double e_exact = embeddings_per_s_bound(a.batch, tc_exact, tw_exact);
  const char* which = rate && bandwidth ? "" : rate ? " (compute only)" : " (weights only)";
  row(("upper bound, embeddings/s" + std::string(which)).c_str(), num("%.1f", e_closed), num("%.1f", e_exact));
  row(("upper bound, tokens/s" + std::string(which)).c_str(), num("%.0f", e_closed * static_cast<double>(a.seq)),
      num("%.0f", e_exact * static_cast<double>(a.seq)));
}

void run_flops(const FlopsArgs& a) {
  if (!a.preset.empty() && !a.model_dir.empty()) throw InputError("--config and --model exclude each other");
  ModelConfig c;
  std::string name;
  if (!a.preset.empty()) {
    c = ModelConfig::preset(a.preset), name = a.preset;
  } else {
    name = a.model_dir.empty() ? default_model_dir() : a.model_dir;
    if (a.model_dir.empty()) {
      std::cerr << "qwen3emb: no --config or --model given; using the default tiny model " << name << "\n";
    }
    c = load_model_config(name);
  }
  const std::vector<int64_t> lengths(static_cast<size_t>(a.batch), a.seq);
  std::printf("qwen3emb flops: %s (%s), %lld sequence%s × %lld tokens\n", name.c_str(), describe(c).c_str(),
              static_cast<long long>(a.batch), a.batch == 1 ? "" : "s", static_cast<long long>(a.seq));
  std::printf("a multiply-add = 2 FLOPs; exp, sqrt, divide = 1; LM head omitted (embeddings need none)\n\n");
  print_counts(c, lengths);
  if (a.tflops > 0 || a.bandwidth > 0) print_bound(a, c, lengths);
}

// A number in [lo, hi]: CLI::Range lets "nan" through (every comparison with NaN is false), this does not.
CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !(v >= lo && v <= hi)) {
          return "value " + text + " is not a number from " + CLI::detail::to_string(lo) + " to " +
                 CLI::detail::to_string(hi);
        }
        return "";
      },
      "NUMBER in [" + CLI::detail::to_string(lo) + " - " + CLI::detail::to_string(hi) + "]");
}

}  // namespace

void add_flops(CLI::App& app) {
  auto args = std::make_shared<FlopsArgs>();
  CLI::App* cmd = app.add_subcommand("flops", "FLOPs of one forward pass: the closed formula vs the exact count, op by "
                                              "op; with --tflops/--bandwidth the roofline bound");
  cmd->add_option("--config", args->preset, "The shapes of Qwen3-Embedding 0.6b, 4b or 8b")
      ->check(CLI::IsMember({"0.6b", "4b", "8b"}));
  cmd->add_option("--model", args->model_dir, "A model directory: its config.json (default: the tiny model)");
  // Bounded so that every count formed from them (seq × batch tokens, seq² attention scores) stays exact.
  cmd->add_option("--seq", args->seq, "Tokens per sequence, 1..16777216 (default 1024)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--batch", args->batch, "Sequences per pass, 1..1048576 (default 1)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--tflops", args->tflops, "Device rate in TFLOP/s for the bound (e.g. 750: an H100's measured bf16)")
      ->check(finite_range(1e-6, 1e9));
  cmd->add_option("--bandwidth", args->bandwidth, "Device memory bandwidth in TB/s for the bound (e.g. 3.3: an H100)")
      ->check(finite_range(1e-6, 1e6));
  cmd->add_option("--weight-dtype", args->weight_dtype, "Bytes per weight for the bound: bf16 (default) or fp32")
      ->check(CLI::IsMember({"bf16", "fp32"}));
  cmd->callback([args] { run_flops(*args); });
}

}  // namespace qwen3::cli
