// mistake: merges every occurrence of the best pair in one pass, scanning from the right: where occurrences overlap ('a' 'a' 'a') that gives 'a' 'aa', and BPE merges the leftmost first, 'aa' 'a'
#include <cstdint>
#include <limits>

#include "exercises/01_bpe_merge/bpe_merge.h"

namespace learner {

// while a pair of neighbours has a rule: merge the pair with the lowest rank (leftmost among equals)
// symbols: [n] byte-level symbols of one word -> the word's tokens
std::vector<std::string> bpe_merge(const std::vector<std::string>& symbols, const MergeRanks& ranks) {
  std::vector<std::string> s = symbols;
  while (s.size() > 1) {
    // find the lowest-ranked pair
    size_t best = s.size();
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const auto rule = ranks.find({s[i], s[i + 1]});
      if (rule != ranks.end() && rule->second < best_rank) {
        best_rank = rule->second;
        best = i;
      }
    }
    if (best == s.size()) break;
    // merge every occurrence of that pair, from the right end of the word to the left
    const std::string left = s[best], right = s[best + 1];
    for (size_t i = s.size() - 1; i >= 1; --i) {
      if (i < s.size() && s[i - 1] == left && s[i] == right) {
        s[i - 1] += s[i];
        s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
        if (i == 1) break;
        --i;  // the merged symbol is not paired again in this pass
      }
    }
  }
  return s;
}

}  // namespace learner
