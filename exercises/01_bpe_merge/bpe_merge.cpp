// Exercise 01_bpe_merge — the one file you edit. Statement: exercises/01_bpe_merge/README.md.
// Check your answer: qwen3emb exercise check 01_bpe_merge
#include "exercises/01_bpe_merge/bpe_merge.h"

#include "exercises/common/todo.h"

namespace learner {

// while a pair of neighbours has a rule: merge the pair with the lowest rank (leftmost among equals)
// symbols: [n] byte-level symbols of one word -> the word's tokens
std::vector<std::string> bpe_merge(const std::vector<std::string>& symbols, const MergeRanks& ranks) {
  // TODO: 1. copy the symbols into a working list
  //       2. find the adjacent pair (s[i], s[i+1]) whose rank in `ranks` is lowest; stop if no pair has one
  //       3. replace s[i] with s[i] + s[i+1], remove s[i+1], and go back to 2
  (void)symbols, (void)ranks;
  qwen3::exercises::not_implemented("01_bpe_merge", "bpe_merge.cpp",
                                    "look up every neighbouring pair with ranks.find({s[i], s[i+1]}), merge the "
                                    "lowest-ranked, repeat until no pair is found");
}

}  // namespace learner
