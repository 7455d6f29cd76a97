// mistake: stops after the first merge: merging goes on, each merge making new pairs that may have rules, until no neighbouring pair has one
#include <cstdint>
#include <limits>

#include "exercises/01_bpe_merge/bpe_merge.h"

namespace learner {

// while a pair of neighbours has a rule: merge the pair with the lowest rank (leftmost among equals)
// symbols: [n] byte-level symbols of one word -> the word's tokens
std::vector<std::string> bpe_merge(const std::vector<std::string>& symbols, const MergeRanks& ranks) {
  std::vector<std::string> s = symbols;
  if (s.size() > 1) {
    // find the lowest-ranked pair; strict < keeps the leftmost of equal ranks
    size_t best = s.size();
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const auto rule = ranks.find({s[i], s[i + 1]});
      if (rule != ranks.end() && rule->second < best_rank) {
        best_rank = rule->second;
        best = i;
      }
    }
    if (best == s.size()) return s;  // no pair has a rule
    // merge: the left symbol becomes the pair, the right one leaves the list
    s[best] += s[best + 1];
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  return s;
}

}  // namespace learner
