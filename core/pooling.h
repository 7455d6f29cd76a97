// After the forward pass: L2 normalisation and Matryoshka truncation.
#pragma once
#include <cstdint>
#include <vector>

namespace qwen3 {

// v <- v / ||v||₂   (v: [n]; a zero vector stays zero)
void l2_normalize(float* v, int64_t n);

// InputError unless 32 <= dim <= hidden (the Matryoshka range Qwen3-Embedding was trained for).
void check_matryoshka_dim(int64_t dim, int64_t hidden);

// Matryoshka: keep the first `dim` components of a unit embedding and re-normalise them.
// e: [H] -> [dim]; check_matryoshka_dim applies.
std::vector<float> matryoshka_truncate(const float* e, int64_t hidden, int64_t dim);

// Cosine similarity and ||a - b|| / ||b||, in double, for comparisons.
double cosine(const float* a, const float* b, int64_t n);
double relative_error(const float* a, const float* b, int64_t n);

}  // namespace qwen3
