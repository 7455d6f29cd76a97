// Checks that two backends' outputs can be compared element by element (core/compare_outputs.h).
#include "core/compare_outputs.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"

namespace qwen3 {

namespace {

std::string n(int64_t x) { return std::to_string(x); }

// "layer 3 / q_proj" -> (3, "q_proj"); an Error for any other form.
std::pair<int64_t, std::string> split_op_name(const std::string& backend, const std::string& name) {
  const std::string prefix = "layer ";
  const size_t sep = name.find(" / ");
  int64_t layer = -1;
  if (name.rfind(prefix, 0) == 0 && sep != std::string::npos && sep > prefix.size() && sep - prefix.size() <= 6 &&
      std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.begin() + static_cast<std::ptrdiff_t>(sep),
                  [](char ch) { return ch >= '0' && ch <= '9'; })) {
    layer = std::stoll(name.substr(prefix.size(), sep - prefix.size()));
  }
  if (layer < 0 || sep + 3 >= name.size()) {
    throw Error("compare --ops: backend " + backend + " recorded an op named '" + name.substr(0, 60) +
                "', not 'layer N / op'");
  }
  return {layer, name.substr(sep + 3)};
}

// op kind -> the layers one backend recorded it in, checked: each layer 0..L-1 exactly once.
std::map<std::string, std::set<int64_t>> layers_by_kind(const NamedOutput& x, int64_t L) {
  std::map<std::string, std::set<int64_t>> kinds;
  for (const OpOutput& op : x.out.op_outputs) {
    const auto [layer, kind] = split_op_name(x.name, op.name);
    if (layer >= L) {
      throw Error("compare --ops: backend " + x.name + " recorded '" + op.name + "' but the model has " + n(L) +
                  " layers (0.." + n(L - 1) + ")");
    }
    if (!kinds[kind].insert(layer).second) {
      throw Error("compare --ops: backend " + x.name + " recorded '" + op.name + "' twice");
    }
  }
  for (const auto& [kind, layers] : kinds) {
    if (static_cast<int64_t>(layers.size()) != L) {
      throw Error("compare --ops: backend " + x.name + " recorded " + kind + " in " + n(static_cast<int64_t>(layers.size())) +
                  " of the model's " + n(L) + " layers: the two passes cannot be compared op by op");
    }
  }
  return kinds;
}

}  // namespace

void require_comparable_states(const NamedOutput& a, const NamedOutput& b, const ModelConfig& c, const Batch& batch) {
  const int64_t H = c.hidden_size, L = c.num_hidden_layers;
  const int64_t S = batch.num_sequences(), T = batch.num_tokens();
  for (const NamedOutput* x : {&a, &b}) {
    const auto embedding_values = static_cast<int64_t>(x->out.embeddings.size());
    if (embedding_values != S * H) {
      throw Error("compare: backend " + x->name + " returned " + n(embedding_values) + " embedding values for " + n(S) +
                  " sequences of width " + n(H) + " (expected " + n(S * H) + ")");
    }
    const auto states = static_cast<int64_t>(x->out.hidden_states.size());
    if (states != L + 2) {
      throw Error("compare: backend " + x->name + " returned " + n(states) + " hidden states, but a model of " + n(L) +
                  " layers has " + n(L + 2) + " (the embedding, each layer, the final norm): the passes cannot be "
                  "compared layer by layer");
    }
    for (int64_t l = 0; l < states; ++l) {
      const auto values = static_cast<int64_t>(x->out.hidden_states[static_cast<size_t>(l)].size());
      if (values != T * H) {
        throw Error("compare: backend " + x->name + "'s hidden state " + n(l) + " has " + n(values) + " values, not " +
                    n(T) + " tokens × " + n(H));
      }
    }
  }
}

OpPairs pair_ops(const NamedOutput& a, const NamedOutput& b, const ModelConfig& c) {
  const int64_t L = c.num_hidden_layers;
  const auto kinds_a = layers_by_kind(a, L);
  const auto kinds_b = layers_by_kind(b, L);
  std::map<std::string, const OpOutput*> in_b;
  for (const OpOutput& y : b.out.op_outputs) in_b[y.name] = &y;

  OpPairs r;
  for (const OpOutput& x : a.out.op_outputs) {
    const auto it = in_b.find(x.name);
    if (it == in_b.end()) continue;  // a kind b never records (both record every layer of a kind they record)
    if (x.values.size() != it->second->values.size()) {
      throw Error("compare --ops: op '" + x.name + "' has " + n(static_cast<int64_t>(x.values.size())) + " values in " +
                  a.name + " and " + n(static_cast<int64_t>(it->second->values.size())) + " in " + b.name);
    }
    r.pairs.emplace_back(&x, it->second);
  }
  if (r.pairs.empty()) {
    throw Error("compare --ops: " + a.name + " and " + b.name + " recorded no op under the same name (" + a.name +
                ": " + n(static_cast<int64_t>(a.out.op_outputs.size())) + " ops, " + b.name + ": " +
                n(static_cast<int64_t>(b.out.op_outputs.size())) + ")");
  }
  std::set<std::string> fused;
  for (const auto& [kind, layers] : kinds_a) {
    if (!kinds_b.count(kind)) fused.insert(kind);
  }
  for (const auto& [kind, layers] : kinds_b) {
    if (!kinds_a.count(kind)) fused.insert(kind);
  }
  r.fused.assign(fused.begin(), fused.end());
  return r;
}

}  // namespace qwen3
