// Exercise 01_bpe_merge: the function you write, and the merge table it reads, as the tests call them.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace learner {

// The merge rules of a byte-level BPE tokenizer: ranks.at({left, right}) is the rule's position in tokenizer.json's
// "model.merges" list (0 = the first rule). A lower rank merges first. Symbols are written in byte-level spelling:
// one printable character per byte ("Ġ" is the space byte, "Ċ" the newline byte), a merged symbol is the two
// spellings concatenated ("Ġ" + "the" -> "Ġthe").
using MergeRanks = std::map<std::pair<std::string, std::string>, int32_t>;

// The BPE merge loop on one pre-tokenised word:
//   while some adjacent pair (s[i], s[i+1]) has a rule:
//     take the pair with the lowest rank (the leftmost one if that pair occurs more than once)
//     and replace the two symbols with their concatenation
// symbols: the word's bytes, one symbol each (non-empty); returns the symbols left, which are the word's tokens.
std::vector<std::string> bpe_merge(const std::vector<std::string>& symbols, const MergeRanks& ranks);

}  // namespace learner
