// Why the CPU reference asks the C library's allocator to keep the memory a pass frees.
//
// A forward pass allocates its scratch buffers (ref_cpu/cpu_backend.cpp), and every Eigen matrix product its
// packing buffers, and frees them when done. By default glibc returns a freed block of more than 128 KiB to the
// kernel at once (mmap threshold) and shrinks its heap when more than 128 KiB at its top is free (trim
// threshold); the next pass then touches each of those pages again as a fresh page fault. For the tiny model at
// 128 tokens the faults were two thirds of the pass (2.45 ms, 0.84 ms without them); for the 0.6B model, whose
// products are thousands of times larger than their buffers, they cost about nothing (docs/results/cpu.md).
#pragma once

namespace qwen3::cpu {

// Raises glibc's mmap threshold to its maximum (32 MiB) and stops heap trimming, once per process: blocks up to
// 32 MiB freed by one pass are reused by the next without a page fault, at the price of a process that keeps its
// peak heap. Does nothing with another C library.
void keep_freed_memory();

}  // namespace qwen3::cpu
