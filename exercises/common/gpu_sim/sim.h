// A CPU simulator of the CUDA execution model, for kernel exercises without a GPU. Kernels include
// cuda_compat.h, never this file: under nvcc that header maps everything here to real CUDA.
//
// What it simulates
//   - a grid of blocks, run one block after another; the threads of a block run as fibers (ucontext, one OS
//     thread, cooperative): thread 0 runs until it reaches __syncthreads() or returns, then thread 1, and so on;
//     when every thread waits at the barrier they all go on. The order is fixed (linear thread id), so a run is
//     deterministic, and a missing barrier shows as a read of shared memory nobody wrote yet (poisoned), a
//     detected race, or a wrong answer.
//   - threadIdx, blockIdx, blockDim, gridDim: per simulated thread (set before each fiber resumes).
//   - shared memory: QWEN3_SHARED(float, As, [32][33]) declares one array per block; every element starts
//     poisoned (a read before any write is an error).
//   - global memory: sim::global_ptr<T>, a pointer that knows the buffer it points into (bounds-checked).
//
// What it measures (sim::Stats), as the GPU would feel it
//   Every global and shared access is logged with its lane, its barrier interval ("epoch"), its source location
//   (file, line, column of the index expression) and how many times this thread has executed that location in
//   this epoch. After the block has run, the accesses of the 32 lanes of a warp (threads linear id / 32) with the
//   same (epoch, location, occurrence) form one warp request: what one load or store instruction of the warp
//   would issue. The grouping is done after the block ran, so it does not depend on the schedule.
//   - global: 32-byte sectors and 128-byte lines touched per request (a coalesced float load: 4 sectors, 1 line;
//     32 floats a row apart: 32 sectors, 32 lines).
//   - shared: 32 banks of 4 bytes; a request's cost in wavefronts is, per phase (32 lanes for 4-byte accesses,
//     16 for 8-byte, 8 for 16-byte), the largest number of distinct words any bank must deliver. Lanes reading the
//     same word are a broadcast (no conflict). "n-way" is that largest number.
//
// What it reports as errors (sim::KernelError thrown from sim::launch, naming the thread and the index)
//   - out-of-bounds global or shared access; a misaligned float4 access
//   - a read of a shared element not written since the block began
//   - a race: two threads of a block touch the same shared word between the same two barriers and at least
//     one of them writes (read-after-write, write-after-read, write-after-write by different threads)
//   - a barrier that not every thread of the block reaches (a thread returned while others wait)
// Not simulated: warps executing in lockstep (there is no warp-synchronous behaviour: use __syncthreads),
// warp shuffles, atomics, caches and timing, dynamic shared memory, streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <source_location>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// ---- CUDA's built-in types and variables -----------------------------------------------------------------
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

// The simulated thread's coordinates: the simulator sets them before it resumes a thread.
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

// Block-wide barrier: waits until every thread of the block has reached it.
void __syncthreads();

namespace qwen3::sim {

// Thrown by launch: what went wrong, in which thread and block, at which index.
class KernelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One source location of a memory access (file:line:column of its index expression).
struct SiteStats {
  std::string where;  // "coalescing.cpp:23:31"
  bool shared = false, write = false;
  int64_t requests = 0;
  int64_t sectors = 0;     // global: 32-byte sectors
  int64_t wavefronts = 0;  // shared: wavefronts (requests × phases when conflict free)
  int max_ways = 0;        // shared: the worst n-way bank conflict seen
};

// What the accesses to one buffer (global, named by sim::global) or one shared array cost.
struct BufferStats {
  std::string name;
  bool shared = false;
  int64_t load_requests = 0, store_requests = 0;
  int64_t load_sectors = 0, store_sectors = 0;  // global
  int64_t load_bytes = 0, store_bytes = 0;      // bytes the lanes asked for
  int64_t wavefronts = 0;                       // shared, loads and stores
  int max_ways = 0;                             // shared: the worst n-way bank conflict
  double load_sectors_per_request() const { return load_requests ? double(load_sectors) / load_requests : 0.0; }
  double store_sectors_per_request() const { return store_requests ? double(store_sectors) / store_requests : 0.0; }
};

// What one or more launches cost, counted per warp request (see the file's head).
struct Stats {
  int64_t launches = 0, blocks = 0, threads = 0;
  int64_t barriers = 0;  // __syncthreads() passed, counted once per block
  int64_t global_load_requests = 0, global_store_requests = 0;
  int64_t global_load_sectors = 0, global_store_sectors = 0;
  int64_t global_load_lines = 0, global_store_lines = 0;
  int64_t global_load_bytes = 0, global_store_bytes = 0;  // bytes the lanes asked for
  int64_t shared_load_requests = 0, shared_store_requests = 0;
  int64_t shared_load_wavefronts = 0, shared_store_wavefronts = 0;
  int64_t shared_conflict_wavefronts = 0;  // wavefronts beyond one per phase: the cost of bank conflicts
  int max_bank_conflict_ways = 0;          // 1 = conflict free (or no shared access)
  std::vector<SiteStats> sites;            // per source location, in order of first appearance
  std::vector<BufferStats> buffers;        // per buffer or shared array, in order of first appearance

  // The record of the buffer (or shared array) of that name; all zeros if the kernel never touched it.
  BufferStats buffer(const std::string& name) const;

  int64_t global_requests() const { return global_load_requests + global_store_requests; }
  int64_t global_sectors() const { return global_load_sectors + global_store_sectors; }
  double load_sectors_per_request() const;
  double store_sectors_per_request() const;
  double sectors_per_request() const;
  // The whole record, one line per site, for a failing test's message.
  std::string describe() const;
  void add(const Stats& other);
};

// Collects the Stats of every launch made on this OS thread while it lives (nested captures each collect).
class Capture {
 public:
  Capture();
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;
  const Stats& stats() const { return stats_; }

 private:
  friend void record_launch(const Stats&);
  Stats stats_;
};

namespace detail {

struct Loc {
  const char* file = "";
  uint32_t line = 0, column = 0;
};

// An index with the place in the source where it was written (captured at the call site).
struct at {
  int64_t i;
  Loc loc;
  at(int64_t i_, std::source_location l = std::source_location::current())
      : i(i_), loc{l.file_name(), l.line(), l.column()} {}
};

enum class Space : uint8_t { global, shared };

// Shadow state of one 4-byte word of shared memory (poison and race detection).
struct SharedWord {
  uint32_t write_epoch = 0, read_epoch = 0;
  int32_t writer = -1, reader = -1;  // linear thread id; reader -2: several threads read it this epoch
  bool written = false;
};

// Called by the wrappers below for every access of a simulated thread. `what` names the element for messages.
// begin: the buffer's first element. Sectors are counted as if the buffer began on a 256-byte boundary, as
// cudaMalloc's buffers do, whatever the host allocator gave.
void global_access(const char* name, const void* begin, const void* addr, size_t bytes, bool write, const Loc& loc);
[[noreturn]] void global_out_of_bounds(const char* name, int64_t index, int64_t count, bool write, const Loc& loc);
[[noreturn]] void misaligned(const char* name, int64_t index, size_t align, const Loc& loc);
void shared_access(const void* addr, size_t bytes, bool write, SharedWord* shadow, const char* name, int64_t flat_index,
                   const Loc& loc);
[[noreturn]] void shared_out_of_bounds(const char* name, int64_t index, int64_t extent, const Loc& loc);
void* shared_storage(const char* name, size_t bytes, SharedWord** shadow);
bool in_kernel();

template <class T>
using plain = std::remove_const_t<T>;

}  // namespace detail

// ---- global memory ----------------------------------------------------------------------------------------
template <class T>
class global_ptr;

// A writable element of global memory: reads and writes are logged when they happen.
template <class T>
class global_ref {
 public:
  global_ref(const char* name, const T* begin, T* p, detail::Loc loc) : name_(name), begin_(begin), p_(p), loc_(loc) {}
  operator T() const {  // NOLINT: reads like a T
    detail::global_access(name_, begin_, p_, sizeof(T), false, loc_);
    return *p_;
  }
  global_ref& operator=(const T& v) {
    detail::global_access(name_, begin_, p_, sizeof(T), true, loc_);
    *p_ = v;
    return *this;
  }
  global_ref& operator=(const global_ref& other) { return *this = static_cast<T>(other); }
  global_ref& operator+=(const T& v) { return *this = static_cast<T>(*this) + v; }
  global_ref& operator-=(const T& v) { return *this = static_cast<T>(*this) - v; }
  global_ref& operator*=(const T& v) { return *this = static_cast<T>(*this) * v; }

 private:
  const char* name_;
  const T* begin_;
  T* p_;
  detail::Loc loc_;
};

// A pointer into one buffer of global memory. Under nvcc it is T* itself. Host code makes one with
// sim::global(vector, "A") (or the constructor); kernel code uses it as a pointer: A[i], A + offset, *p.
template <class T>
class global_ptr {
 public:
  global_ptr() = default;
  global_ptr(std::nullptr_t) {}  // NOLINT
  global_ptr(T* data, size_t count, const char* name) : p_(data), begin_(data), end_(data + count), name_(name) {}
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  global_ptr(const global_ptr<U>& o)  // NOLINT: T* → const T*
      : p_(o.p_), begin_(o.begin_), end_(o.end_), name_(o.name_) {}

  // Element i from here: a value for const T, a logged reference otherwise.
  decltype(auto) operator[](detail::at i) const {
    T* e = element(i.i, i.loc);
    if constexpr (std::is_const_v<T>) {
      detail::global_access(name_, begin_, e, sizeof(T), false, i.loc);
      return static_cast<detail::plain<T>>(*e);
    } else {
      return global_ref<T>(name_, begin_, e, i.loc);
    }
  }
  decltype(auto) operator*() const { return (*this)[detail::at(0, std::source_location::current())]; }

  global_ptr operator+(int64_t d) const { return with(p_ + d); }
  global_ptr operator-(int64_t d) const { return with(p_ - d); }
  global_ptr& operator+=(int64_t d) {
    p_ += d;
    return *this;
  }
  global_ptr& operator-=(int64_t d) {
    p_ -= d;
    return *this;
  }
  global_ptr& operator++() {
    ++p_;
    return *this;
  }
  global_ptr& operator--() {
    --p_;
    return *this;
  }
  int64_t operator-(const global_ptr& o) const { return p_ - o.p_; }
  bool operator==(const global_ptr& o) const { return p_ == o.p_; }
  explicit operator bool() const { return p_ != nullptr; }

  // For the simulator's helpers (float4 access): the address of element i, bounds- and alignment-checked.
  T* element(int64_t i, const detail::Loc& loc) const {
    const int64_t index = (p_ - begin_) + i;
    if (p_ == nullptr || index < 0 || index >= end_ - begin_) {
      detail::global_out_of_bounds(name_, index, end_ - begin_, !std::is_const_v<T>, loc);
    }
    return p_ + i;
  }
  int64_t offset() const { return p_ - begin_; }
  const T* begin() const { return begin_; }
  const char* name() const { return name_; }
  T* get() const { return p_; }

 private:
  template <class U>
  friend class global_ptr;
  global_ptr with(T* p) const {
    global_ptr r = *this;
    r.p_ = p;
    return r;
  }
  T* p_ = nullptr;
  T* begin_ = nullptr;
  T* end_ = nullptr;
  const char* name_ = "null";
};

template <class T>
global_ptr<T> operator+(int64_t d, const global_ptr<T>& p) {
  return p + d;
}

// Host side: a global_ptr over a whole vector (or array), named for error messages.
template <class V>
auto global(V& v, const char* name) {
  return global_ptr<std::remove_pointer_t<decltype(v.data())>>(v.data(), v.size(), name);
}

// float4 global load/store: one 16-byte access per lane; p must be 16-byte aligned (else an error).
float4 load_float4(global_ptr<const float> p, std::source_location l = std::source_location::current());
inline float4 load_float4(global_ptr<float> p, std::source_location l = std::source_location::current()) {
  return load_float4(global_ptr<const float>(p), l);
}
void store_float4(global_ptr<float> p, const float4& v, std::source_location l = std::source_location::current());

// 16 bytes of any element type, as one vector load brings them into registers (CUDA's uint4 / int4 loads).
template <class T>
struct alignas(16) Vec16 {
  static constexpr int kCount = static_cast<int>(16 / sizeof(T));
  T v[kCount];
};

// Global load of the 16 bytes at p (16 / sizeof(T) elements) as one access per lane; p must be 16-byte aligned
// within its buffer (else an error), like CUDA's 128-bit loads.
template <class T>
Vec16<detail::plain<T>> load_vec16(global_ptr<T> p, std::source_location l = std::source_location::current()) {
  static_assert(16 % sizeof(T) == 0, "load_vec16: the element size must divide 16");
  constexpr int n = static_cast<int>(16 / sizeof(T));
  const detail::Loc loc{l.file_name(), l.line(), l.column()};
  T* e = p.element(0, loc);
  p.element(n - 1, loc);
  if ((p.offset() * static_cast<int64_t>(sizeof(T))) % 16 != 0) detail::misaligned(p.name(), p.offset(), 16, loc);
  detail::global_access(p.name(), p.begin(), e, 16, false, loc);
  Vec16<detail::plain<T>> r;
  for (int i = 0; i < n; ++i) r.v[i] = e[i];
  return r;
}

// ---- shared memory ----------------------------------------------------------------------------------------
// An element of a shared array: reads and writes are logged, checked for poison and races.
template <class T>
class shared_ref {
 public:
  shared_ref(T* p, detail::SharedWord* shadow, const char* name, int64_t flat, detail::Loc loc)
      : p_(p), shadow_(shadow), name_(name), flat_(flat), loc_(loc) {}
  operator T() const {  // NOLINT
    detail::shared_access(p_, sizeof(T), false, shadow_, name_, flat_, loc_);
    return *p_;
  }
  shared_ref& operator=(const T& v) {
    detail::shared_access(p_, sizeof(T), true, shadow_, name_, flat_, loc_);
    *p_ = v;
    return *this;
  }
  shared_ref& operator=(const shared_ref& other) { return *this = static_cast<T>(other); }
  shared_ref& operator+=(const T& v) { return *this = static_cast<T>(*this) + v; }
  shared_ref& operator-=(const T& v) { return *this = static_cast<T>(*this) - v; }
  shared_ref& operator*=(const T& v) { return *this = static_cast<T>(*this) * v; }

 private:
  T* p_;
  detail::SharedWord* shadow_;
  const char* name_;
  int64_t flat_;
  detail::Loc loc_;
};

// A view of (part of) a shared array of type A (T[n] or T[n][m]...): indexing checks each extent.
template <class A>
class shared_view {
  using Elem = std::remove_extent_t<A>;
  using Scalar = std::remove_all_extents_t<A>;
  static constexpr int64_t kExtent = std::extent_v<A>;
  static constexpr int64_t kStride = sizeof(Elem) / sizeof(Scalar);

 public:
  shared_view(Scalar* base, detail::SharedWord* shadow, Scalar* origin, const char* name)
      : base_(base), shadow_(shadow), origin_(origin), name_(name) {}
  auto operator[](detail::at i) const {
    if (i.i < 0 || i.i >= kExtent) detail::shared_out_of_bounds(name_, i.i, kExtent, i.loc);
    Scalar* p = base_ + i.i * kStride;
    if constexpr (std::is_array_v<Elem>) {
      return shared_view<Elem>(p, shadow_, origin_, name_);
    } else {
      const int64_t flat = p - origin_;
      static_assert(sizeof(Scalar) % 4 == 0, "shared elements are whole 4-byte words");
      return shared_ref<Scalar>(p, shadow_ + flat * static_cast<int64_t>(sizeof(Scalar) / 4), name_, flat, i.loc);
    }
  }

 protected:
  Scalar* base_;
  detail::SharedWord* shadow_;
  Scalar* origin_;
  const char* name_;
};

// One shared array per block, found by name: every thread of the block that declares it gets the same storage.
template <class A>
class shared_array : public shared_view<A> {
  using Scalar = std::remove_all_extents_t<A>;
  static_assert(std::is_array_v<A>, "QWEN3_SHARED(type, name, [n]...) declares an array");

 public:
  explicit shared_array(const char* name) : shared_view<A>(nullptr, nullptr, nullptr, name) {
    detail::SharedWord* shadow = nullptr;
    auto* base = static_cast<Scalar*>(detail::shared_storage(name, sizeof(A), &shadow));
    this->base_ = base;
    this->origin_ = base;
    this->shadow_ = shadow;
  }
};

// ---- launching ----------------------------------------------------------------------------------------------
namespace detail {
void run_grid(dim3 grid, dim3 block, const void* body, void (*call)(const void*));
}

// Runs kernel(args...) on every thread of a grid of blocks; throws KernelError on the first error found.
// The Stats of the launch go to every live Capture.
template <class... P, class... Args>
void launch(void (*kernel)(P...), dim3 grid, dim3 block, Args&&... args) {
  auto body = [kernel, &args...]() { kernel(args...); };
  using Body = decltype(body);
  detail::run_grid(grid, block, &body, [](const void* b) { (*static_cast<const Body*>(b))(); });
}

// A stream, for sources shared with nvcc (there cudaStream_t): the simulator runs every launch at once, in order.
using Stream = void*;
template <class... P, class... Args>
void launch_on(Stream, void (*kernel)(P...), dim3 grid, dim3 block, Args&&... args) {
  launch(kernel, grid, block, std::forward<Args>(args)...);
}

}  // namespace qwen3::sim
