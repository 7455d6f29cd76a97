// mistake: merges the leftmost pair that has a rule, whatever its rank: BPE merges the pair whose rule comes first in model.merges, wherever it is in the word
#include <cstdint>
#include <limits>

#include "exercises/01_bpe_merge/bpe_merge.h"

namespace learner {

// while a pair of neighbours has a rule: merge the pair with the lowest rank (leftmost among equals)
// symbols: [n] byte-level symbols of one word -> the word's tokens
std::vector<std::string> bpe_merge(const std::vector<std::string>& symbols, const MergeRanks& ranks) {
  std::vector<std::string> s = symbols;
  while (s.size() > 1) {
    // find the lowest-ranked pair; strict < keeps the leftmost of equal ranks
    size_t best = s.size();
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const auto rule = ranks.find({s[i], s[i + 1]});
      if (rule != ranks.end() && best == s.size()) {
        best_rank = rule->second;
        best = i;
      }
    }
    if (best == s.size()) break;  // no pair has a rule: the symbols left are the tokens
    // merge: the left symbol becomes the pair, the right one leaves the list
    s[best] += s[best + 1];
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  return s;
}

}  // namespace learner
