// Exercise 02_pack_batch's checks: learner::pack against core/batch.h's Batch::pack, Batch::positions and
// Batch::last_token on one sequence, one token, sequences of unequal lengths, many sequences (real-looking ids from
// synthetic_sequences), and the two inputs Batch::pack refuses with InputError (an empty batch, an empty sequence).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/batch.h"
#include "core/error.h"
#include "exercises/02_pack_batch/pack_batch.h"

namespace {

using Seqs = std::vector<std::vector<int32_t>>;

// The project's packing, in the exercise's four fields.
learner::PackedBatch reference(const Seqs& seqs) {
  const qwen3::Batch b = qwen3::Batch::pack(seqs);
  learner::PackedBatch p{b.tokens, b.offsets, b.positions(), {}};
  for (int64_t s = 0; s < b.num_sequences(); ++s) p.last_token.push_back(b.last_token(s));
  return p;
}

void check(const Seqs& seqs, const std::string& what) {
  const learner::PackedBatch want = reference(seqs);
  const learner::PackedBatch got = learner::pack(seqs);
  EXPECT_EQ(got.tokens, want.tokens) << what << ": tokens (the sequences end to end)";
  EXPECT_EQ(got.offsets, want.offsets) << what << ": offsets ([B+1], starting at 0)";
  EXPECT_EQ(got.positions, want.positions) << what << ": positions (restarting at 0 in every sequence)";
  EXPECT_EQ(got.last_token, want.last_token) << what << ": last_token (offsets[b+1] - 1)";
}

TEST(PackBatch, OneSequence) { check({{9906, 1879, 0, 151643}}, "one sequence of 4 tokens"); }
TEST(PackBatch, OneToken) { check({{151643}}, "one sequence of one token"); }
TEST(PackBatch, UnequalLengths) { check({{1, 2, 3}, {4}, {5, 6, 7, 8, 9}}, "three sequences of 3, 1 and 5 tokens"); }
TEST(PackBatch, OneTokenSequencesBetweenLongerOnes) {
  check({{7}, {1, 2}, {3}, {4}, {5, 6, 7}}, "five sequences of 1, 2, 1, 1, 3 tokens");
}
TEST(PackBatch, ManySequences) {
  std::vector<int64_t> lengths;
  for (int i = 0; i < 200; ++i) lengths.push_back(1 + (i * 37) % 61);
  check(qwen3::synthetic_sequences(lengths, 151669), "200 sequences of 1 .. 61 tokens");
}

TEST(PackBatch, EmptyBatchIsRefused) {
  EXPECT_THROW(qwen3::Batch::pack({}), qwen3::InputError) << "the project's contract";
  EXPECT_THROW(learner::pack({}), qwen3::InputError) << "an empty batch must throw qwen3::InputError";
}
TEST(PackBatch, EmptySequenceIsRefused) {
  const Seqs seqs{{1, 2}, {}, {3}};
  EXPECT_THROW(qwen3::Batch::pack(seqs), qwen3::InputError) << "the project's contract";
  EXPECT_THROW(learner::pack(seqs), qwen3::InputError)
      << "sequence 1 has no tokens (no last token to embed): it must throw qwen3::InputError";
}

}  // namespace
