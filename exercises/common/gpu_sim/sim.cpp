// The simulator's engine: fibers for the threads of a block, the barrier, the access log, and the grouping of
// logged accesses into warp requests after each block. The model is described in sim.h.
#include "exercises/common/gpu_sim/sim.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <sstream>
#include <unordered_map>

#if defined(__SANITIZE_ADDRESS__)
#define QWEN3_SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QWEN3_SIM_ASAN 1
#endif
#endif
#ifdef QWEN3_SIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

// ---- context switch -----------------------------------------------------------------------------------------
// On x86-64 a hand-written switch (callee-saved registers, the SSE and x87 control words, the stack pointer):
// glibc's swapcontext also saves the signal mask with a system call at every switch, which made a block of 1024
// threads through a few barriers cost milliseconds. Elsewhere ucontext.
#if defined(__x86_64__) && !defined(QWEN3_SIM_UCONTEXT)
#define QWEN3_SIM_ASM_SWITCH 1
extern "C" void qwen3_sim_switch(void** save_sp, void* new_sp);
asm(R"(
  .text
  .globl qwen3_sim_switch
  .type qwen3_sim_switch, @function
qwen3_sim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size qwen3_sim_switch, .-qwen3_sim_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");
#endif

namespace qwen3::sim {
namespace detail {
namespace {

struct Context {
#ifdef QWEN3_SIM_ASM_SWITCH
  void* sp = nullptr;
#else
  ucontext_t uc;
#endif
};

void switch_context(Context& from, Context& to) {
#ifdef QWEN3_SIM_ASM_SWITCH
  qwen3_sim_switch(&from.sp, to.sp);
#else
  swapcontext(&from.uc, &to.uc);
#endif
}

// Prepare `c` to start entry() on the stack [lo, lo + size) at the next switch to it.
void make_context(Context& c, char* lo, size_t size, void (*entry)()) {
#ifdef QWEN3_SIM_ASM_SWITCH
  auto top = (reinterpret_cast<uintptr_t>(lo) + size) & ~uintptr_t(15);
  auto* slot = reinterpret_cast<uint64_t*>(top);
  slot[-1] = 0;                                  // entry's "return address": it never returns
  slot[-2] = reinterpret_cast<uint64_t>(entry);  // popped by the switch's ret
  for (int r = 3; r <= 8; ++r) slot[-r] = 0;     // rbp, rbx, r12-r15
  uint32_t mxcsr;
  uint16_t fpcw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpcw));
  slot[-9] = 0;
  std::memcpy(&slot[-9], &mxcsr, 4);
  std::memcpy(reinterpret_cast<char*>(&slot[-9]) + 4, &fpcw, 2);
  c.sp = &slot[-9];
#else
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = lo;
  c.uc.uc_stack.ss_size = size;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, entry, 0);
#endif
}

constexpr int kWarp = 32;
constexpr int kBanks = 32;
constexpr int kMaxThreadsPerBlock = 1024;
constexpr size_t kSharedBytesPerBlock = 48 * 1024;  // the static shared memory a block may declare
#ifdef QWEN3_SIM_ASAN
constexpr size_t kStackBytes = 512 * 1024;  // ASan's redzones make frames several times larger
#else
constexpr size_t kStackBytes = 128 * 1024;
#endif

// One logged access of one thread.
struct Access {
  uint64_t addr;    // byte address (global) or byte offset into the block's shared memory
  uint32_t epoch;   // barriers this block has passed before the access
  uint32_t site;    // index into Block::sites
  uint32_t occ;     // how many times this thread executed this site in this epoch before
  uint16_t buffer;  // index into Block::buffers
  uint8_t bytes;
  uint8_t write;
  uint8_t shared;
  uint8_t lane;
};

struct SiteKey {
  const char* file;
  uint32_t line, column;
  bool shared, write;
  bool operator==(const SiteKey& o) const {
    return file == o.file && line == o.line && column == o.column && shared == o.shared && write == o.write;
  }
};
struct SiteKeyHash {
  size_t operator()(const SiteKey& k) const {
    return std::hash<const void*>()(k.file) ^ (size_t(k.line) << 20) ^ (size_t(k.column) << 4) ^
           (size_t(k.shared) << 1) ^ size_t(k.write);
  }
};

enum class State : uint8_t { runnable, at_barrier, done };

// A fiber stack: mmap'd with a guard page below it, kept in a pool and reused.
struct Stack {
  void* mem = nullptr;  // guard page + stack
  size_t bytes = 0;
  char* lo() const { return static_cast<char*>(mem) + page(); }
  size_t size() const { return bytes - page(); }
  static size_t page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
};

struct Thread {
  uint3 idx;
  int linear = 0;
  State state = State::runnable;
  bool started = false;
  Context ctx;
  Stack* stack = nullptr;
  std::vector<Access> log;
  // occurrence counters of this epoch: (site, count), few per kernel, searched linearly
  std::vector<std::pair<uint32_t, uint32_t>> occ;
#ifdef QWEN3_SIM_ASAN
  void* fake_stack = nullptr;
#endif
};

struct SharedAlloc {
  const char* name;
  size_t offset, bytes;
};

struct Block {
  dim3 grid, dim;
  uint3 idx;
  const void* body = nullptr;
  void (*call)(const void*) = nullptr;
  std::vector<Thread> threads;
  int current = -1;
  uint32_t epoch = 0;
  int64_t barriers = 0;
  std::exception_ptr error;
  // shared memory of this block
  std::vector<unsigned char> shared;  // kSharedBytesPerBlock bytes
  std::vector<SharedWord> shadow;     // one per 4-byte word
  std::vector<SharedAlloc> allocs;
  size_t shared_used = 0;
  size_t shared_dirty = 0;  // bytes from the start that a previous block may have touched
  // sites of the whole launch
  std::unordered_map<SiteKey, uint32_t, SiteKeyHash> site_index;
  std::vector<SiteKey> sites;
  std::pair<SiteKey, uint32_t> site_cache[64] = {};
  std::vector<std::pair<const char*, bool>> buffers;  // (name, shared) of the launch
  Context scheduler;
#ifdef QWEN3_SIM_ASAN
  const void* sched_stack_lo = nullptr;
  size_t sched_stack_size = 0;
#endif
};

thread_local Block* g_block = nullptr;              // the block being simulated on this OS thread
thread_local std::unique_ptr<Block> g_spare_block;  // kept between launches: its buffers keep their capacity
thread_local std::vector<std::unique_ptr<Stack>> g_free_stacks;
thread_local std::vector<Capture*> g_captures;

struct StackPool {
  ~StackPool() {
    for (auto& s : g_free_stacks) munmap(s->mem, s->bytes);
  }
};
thread_local StackPool g_pool_owner;

Stack* take_stack() {
  (void)&g_pool_owner;
  if (!g_free_stacks.empty()) {
    Stack* s = g_free_stacks.back().release();
    g_free_stacks.pop_back();
    return s;
  }
  auto* s = new Stack;
  s->bytes = kStackBytes + Stack::page();
  s->mem = mmap(nullptr, s->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (s->mem == MAP_FAILED) {
    delete s;
    throw KernelError("simulator: cannot map a fiber stack");
  }
  mprotect(s->mem, Stack::page(), PROT_NONE);  // overflow faults instead of corrupting the next stack
  return s;
}

// abandoned: the fiber did not run to its end (an error stopped the block), so frames anywhere on its stack may
// still carry ASan's poisoned redzones: clear them before the stack is reused. A fiber that ended has returned from
// every call but its entry function, whose frame the next fiber re-creates identically (clearing every stack of a
// block's threads each time cost more than the kernels).
void give_stack(Stack* s, bool abandoned) {
  if (s == nullptr) return;
#ifdef QWEN3_SIM_ASAN
  if (abandoned) __asan_unpoison_memory_region(s->lo(), s->size());
#else
  (void)abandoned;
#endif
  g_free_stacks.emplace_back(s);
}

// Strings joined by append (GCC 12 reports a false -Wrestrict on chains of operator+).
template <class... A>
std::string cat(const A&... parts) {
  std::string s;
  (s.append(parts), ...);
  return s;
}

std::string dims(uint3 v) {
  return cat("(", std::to_string(v.x), ",", std::to_string(v.y), ",", std::to_string(v.z), ")");
}

std::string where(const Loc& loc) {
  const char* base = std::strrchr(loc.file, '/');
  std::string s = base ? base + 1 : loc.file;
  s.append(":").append(std::to_string(loc.line)).append(":").append(std::to_string(loc.column));
  return s;
}

std::string who() {
  const Block& b = *g_block;
  std::string s = "thread ";
  s.append(dims(b.threads[static_cast<size_t>(b.current)].idx)).append(" of block ").append(dims(b.idx));
  return s;
}

std::string who(int linear) {
  const Block& b = *g_block;
  return cat("thread ", dims(b.threads[static_cast<size_t>(linear)].idx));
}

Block& block_or_throw(const char* what) {
  if (g_block == nullptr || g_block->current < 0) {
    throw KernelError(cat(std::string(what), " used outside a kernel launched by sim::launch"));
  }
  return *g_block;
}

void log_access(Block& b, const char* name, uint64_t addr, size_t bytes, bool write, bool shared, const Loc& loc) {
  Thread& t = b.threads[static_cast<size_t>(b.current)];
  size_t buffer = 0;
  while (buffer < b.buffers.size() && (b.buffers[buffer].first != name || b.buffers[buffer].second != shared)) {
    ++buffer;
  }
  if (buffer == b.buffers.size()) b.buffers.emplace_back(name, shared);
  const SiteKey key{loc.file, loc.line, loc.column, shared, write};
  // a small direct-mapped cache in front of the site table (a kernel has a handful of access sites)
  auto& slot = b.site_cache[(loc.line * 61u + loc.column * 7u + (shared ? 2u : 0u) + (write ? 1u : 0u)) %
                            std::size(b.site_cache)];
  uint32_t site;
  if (slot.first == key) {
    site = slot.second;
  } else {
    auto it = b.site_index.find(key);
    if (it == b.site_index.end()) {
      site = static_cast<uint32_t>(b.sites.size());
      b.sites.push_back(key);
      b.site_index.emplace(key, site);
    } else {
      site = it->second;
    }
    slot = {key, site};
  }
  uint32_t occ = 0;
  bool found = false;
  for (auto& [s, n] : t.occ) {
    if (s == site) {
      occ = n++;
      found = true;
      break;
    }
  }
  if (!found) t.occ.emplace_back(site, 1u);
  t.log.push_back(Access{addr, b.epoch, site, occ, static_cast<uint16_t>(buffer), static_cast<uint8_t>(bytes),
                         static_cast<uint8_t>(write), static_cast<uint8_t>(shared),
                         static_cast<uint8_t>(t.linear % kWarp)});
}

// ---- fibers -------------------------------------------------------------------------------------------------
void switch_to_scheduler(Thread& t, bool finishing) {
  Block& b = *g_block;
#ifdef QWEN3_SIM_ASAN
  __sanitizer_start_switch_fiber(finishing ? nullptr : &t.fake_stack, b.sched_stack_lo, b.sched_stack_size);
#else
  (void)finishing;
#endif
  switch_context(t.ctx, b.scheduler);
#ifdef QWEN3_SIM_ASAN
  __sanitizer_finish_switch_fiber(t.fake_stack, &b.sched_stack_lo, &b.sched_stack_size);
#endif
}

void fiber_main() {
  Block& b = *g_block;
  Thread& t = b.threads[static_cast<size_t>(b.current)];
#ifdef QWEN3_SIM_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &b.sched_stack_lo, &b.sched_stack_size);
#endif
  try {
    b.call(b.body);
  } catch (...) {
    if (!b.error) b.error = std::current_exception();
  }
  t.state = State::done;
  switch_to_scheduler(t, true);
}

void set_builtins(const Block& b, const Thread& t) {
  threadIdx = t.idx;
  blockIdx = b.idx;
  blockDim = b.dim;
  gridDim = b.grid;
}

// Runs thread i until it waits at a barrier or returns.
void resume(Block& b, int i) {
  Thread& t = b.threads[static_cast<size_t>(i)];
  b.current = i;
  set_builtins(b, t);
  if (!t.started) {
    t.started = true;
    t.stack = take_stack();
#ifdef QWEN3_SIM_ASAN
    // the previous fiber's entry frame left its redzones at the top: clear where the new context is written
    __asan_unpoison_memory_region(t.stack->lo() + t.stack->size() - 4096, 4096);
#endif
    make_context(t.ctx, t.stack->lo(), t.stack->size(), fiber_main);
  }
  Thread& tr = t;
#ifdef QWEN3_SIM_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, tr.stack->lo(), tr.stack->size());
#endif
  switch_context(b.scheduler, tr.ctx);
#ifdef QWEN3_SIM_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  b.current = -1;
  if (tr.state == State::done) {
    give_stack(tr.stack, false);
    tr.stack = nullptr;
  }
}

// ---- grouping the log into warp requests ----------------------------------------------------------------
struct Analysis {
  Stats stats;
  std::vector<SiteStats> per_site;      // indexed like Block::sites
  std::vector<BufferStats> per_buffer;  // indexed like Block::buffers
};

void analyse_block(Block& b, Analysis& an) {
  if (an.per_site.size() < b.sites.size()) {
    for (size_t s = an.per_site.size(); s < b.sites.size(); ++s) {
      SiteStats st;
      st.where = where(Loc{b.sites[s].file, b.sites[s].line, b.sites[s].column});
      st.shared = b.sites[s].shared;
      st.write = b.sites[s].write;
      an.per_site.push_back(std::move(st));
    }
  }
  for (size_t i = an.per_buffer.size(); i < b.buffers.size(); ++i) {
    BufferStats bs;
    bs.name = b.buffers[i].first;
    bs.shared = b.buffers[i].second;
    an.per_buffer.push_back(std::move(bs));
  }
  Stats& S = an.stats;
  std::vector<uint64_t> units;
  // One warp request: the accesses [first, last) of its lanes.
  auto request = [&](const Access* first, const Access* last) {
    SiteStats& site = an.per_site[first[0].site];
    BufferStats& buf = an.per_buffer[first[0].buffer];
    ++site.requests;
    const bool write = first[0].write != 0;
    if (!first[0].shared) {
      units.clear();
      int64_t bytes = 0;
      for (const Access* a = first; a != last; ++a) {
        bytes += (*a).bytes;
        for (uint64_t s = (*a).addr >> 5; s <= ((*a).addr + (*a).bytes - 1) >> 5; ++s) units.push_back(s);
      }
      std::sort(units.begin(), units.end());
      const int64_t sectors = std::unique(units.begin(), units.end()) - units.begin();
      for (uint64_t& u : units) u >>= 2;  // sectors → 128-byte lines (sorted order is kept)
      const int64_t lines = std::unique(units.begin(), units.begin() + sectors) - units.begin();
      site.sectors += sectors;
      if (write) {
        ++buf.store_requests, buf.store_sectors += sectors, buf.store_bytes += bytes;
      } else {
        ++buf.load_requests, buf.load_sectors += sectors, buf.load_bytes += bytes;
      }
      if (write) {
        ++S.global_store_requests, S.global_store_sectors += sectors, S.global_store_lines += lines;
        S.global_store_bytes += bytes;
      } else {
        ++S.global_load_requests, S.global_load_sectors += sectors, S.global_load_lines += lines;
        S.global_load_bytes += bytes;
      }
    } else {
      // phases: 32 lanes for 4-byte accesses, 16 for 8-byte, 8 for 16-byte
      const int lanes_per_phase = std::max(1, 128 / std::max<int>(4, first[0].bytes));
      int64_t wavefronts = 0, phases = 0, bytes = 0;
      for (const Access* a = first; a != last; ++a) bytes += (*a).bytes;
      for (int p0 = 0; p0 < kWarp; p0 += lanes_per_phase) {
        units.clear();
        for (const Access* a = first; a != last; ++a) {
          if ((*a).lane < p0 || (*a).lane >= p0 + lanes_per_phase) continue;
          for (uint64_t wd = (*a).addr >> 2; wd <= ((*a).addr + (*a).bytes - 1) >> 2; ++wd) {
            units.push_back(wd);
          }
        }
        if (units.empty()) continue;
        ++phases;
        std::sort(units.begin(), units.end());
        units.erase(std::unique(units.begin(), units.end()), units.end());
        int per_bank[kBanks] = {};
        int ways = 0;
        for (uint64_t wd : units) ways = std::max(ways, ++per_bank[wd % kBanks]);
        wavefronts += ways;
        S.max_bank_conflict_ways = std::max(S.max_bank_conflict_ways, ways);
        site.max_ways = std::max(site.max_ways, ways);
        buf.max_ways = std::max(buf.max_ways, ways);
      }
      buf.wavefronts += wavefronts;
      if (write) {
        ++buf.store_requests, buf.store_bytes += bytes;
      } else {
        ++buf.load_requests, buf.load_bytes += bytes;
      }
      site.wavefronts += wavefronts;
      S.shared_conflict_wavefronts += wavefronts - phases;
      if (write) {
        ++S.shared_store_requests, S.shared_store_wavefronts += wavefronts;
      } else {
        ++S.shared_load_requests, S.shared_load_wavefronts += wavefronts;
      }
    }
  };
  auto same_instruction = [](const Access& x, const Access& y) {
    return x.epoch == y.epoch && x.site == y.site && x.occ == y.occ;
  };
  std::vector<Access> warp;
  Access group[kWarp];
  const size_t n = b.threads.size();
  for (size_t w0 = 0; w0 < n; w0 += kWarp) {
    const size_t w1 = std::min(n, w0 + kWarp);
    const int lanes = static_cast<int>(w1 - w0);
    // Each lane's log is in program order, so in order of epoch: take the warp one epoch at a time.
    size_t pos[kWarp] = {}, end[kWarp] = {};
    for (;;) {
      uint32_t epoch = UINT32_MAX;
      for (int l = 0; l < lanes; ++l) {
        const std::vector<Access>& log = b.threads[w0 + size_t(l)].log;
        if (pos[l] < log.size()) epoch = std::min(epoch, log[pos[l]].epoch);
      }
      if (epoch == UINT32_MAX) break;
      for (int l = 0; l < lanes; ++l) {
        const std::vector<Access>& log = b.threads[w0 + size_t(l)].log;
        end[l] = pos[l];
        while (end[l] < log.size() && log[end[l]].epoch == epoch) ++end[l];
      }
      // Fast path: every lane that accessed memory in this epoch did so in the same sequence of instructions
      // (no divergence inside the warp): the i-th access of each lane forms request i.
      int ref = -1;
      bool uniform = true;
      for (int l = 0; l < lanes && uniform; ++l) {
        if (end[l] == pos[l]) continue;
        if (ref < 0) {
          ref = l;
          continue;
        }
        const Access* x = b.threads[w0 + size_t(l)].log.data() + pos[l];
        const Access* y = b.threads[w0 + size_t(ref)].log.data() + pos[ref];
        const size_t len = end[l] - pos[l];
        if (len != end[ref] - pos[ref]) {
          uniform = false;
          break;
        }
        for (size_t k = 0; k < len; ++k) {
          if (!same_instruction(x[k], y[k])) {
            uniform = false;
            break;
          }
        }
      }
      if (uniform) {
        for (size_t k = 0; k < end[ref] - pos[ref]; ++k) {
          int count = 0;
          for (int l = 0; l < lanes; ++l) {
            if (end[l] != pos[l]) group[count++] = b.threads[w0 + size_t(l)].log[pos[l] + k];
          }
          request(group, group + count);
        }
      } else {
        // Divergent lanes: sort this epoch's accesses by (site, occurrence, lane) and cut the runs.
        warp.clear();
        for (int l = 0; l < lanes; ++l) {
          const std::vector<Access>& log = b.threads[w0 + size_t(l)].log;
          warp.insert(warp.end(), log.begin() + std::ptrdiff_t(pos[l]), log.begin() + std::ptrdiff_t(end[l]));
        }
        std::sort(warp.begin(), warp.end(), [](const Access& x, const Access& y) {
          if (x.site != y.site) return x.site < y.site;
          if (x.occ != y.occ) return x.occ < y.occ;
          return x.lane < y.lane;
        });
        for (size_t g = 0; g < warp.size();) {
          size_t e2 = g;
          while (e2 < warp.size() && same_instruction(warp[e2], warp[g])) ++e2;
          request(warp.data() + g, warp.data() + e2);
          g = e2;
        }
      }
      for (int l = 0; l < lanes; ++l) pos[l] = end[l];
    }
  }
}

}  // namespace

bool in_kernel() { return g_block != nullptr && g_block->current >= 0; }

void global_access(const char* name, const void* begin, const void* addr, size_t bytes, bool write, const Loc& loc) {
  Block& b = block_or_throw("global memory");
  const uintptr_t base = reinterpret_cast<uintptr_t>(begin);
  log_access(b, name, (base & ~uintptr_t(255)) + (reinterpret_cast<uintptr_t>(addr) - base), bytes, write, false, loc);
}

void global_out_of_bounds(const char* name, int64_t index, int64_t count, bool write, const Loc& loc) {
  std::string msg = "out-of-bounds global access: ";
  msg.append(name).append("[").append(std::to_string(index)).append("] (").append(name).append(" holds ");
  msg.append(std::to_string(count)).append(" elements");
  if (write) msg.append("; a writable buffer");
  msg.append(") by ").append(in_kernel() ? who() : std::string("host code")).append(" at ").append(where(loc));
  throw KernelError(msg);
}

void misaligned(const char* name, int64_t index, size_t align, const Loc& loc) {
  std::string msg = "misaligned vector access: ";
  msg.append(name).append("[").append(std::to_string(index)).append("] is not ").append(std::to_string(align));
  msg.append("-byte aligned, by ").append(in_kernel() ? who() : std::string("host code")).append(" at ");
  msg.append(where(loc));
  throw KernelError(msg);
}

void shared_out_of_bounds(const char* name, int64_t index, int64_t extent, const Loc& loc) {
  std::string msg = "out-of-bounds shared access: index ";
  msg.append(std::to_string(index)).append(" of ").append(name).append(" outside [0, ");
  msg.append(std::to_string(extent)).append(") by ").append(in_kernel() ? who() : std::string("host code"));
  msg.append(" at ").append(where(loc));
  throw KernelError(msg);
}

void* shared_storage(const char* name, size_t bytes, SharedWord** shadow) {
  Block& b = block_or_throw("QWEN3_SHARED");
  for (const SharedAlloc& a : b.allocs) {
    if (std::strcmp(a.name, name) == 0) {
      if (a.bytes != bytes) throw KernelError(cat(std::string("shared array "), name, " declared with two sizes"));
      *shadow = &b.shadow[a.offset / 4];
      return &b.shared[a.offset];
    }
  }
  const size_t offset = (b.shared_used + 15) / 16 * 16;
  if (offset + bytes > kSharedBytesPerBlock) {
    throw KernelError(
        cat(std::string("shared array "), name, " does not fit: a block has 48 KiB of static shared memory"));
  }
  b.shared_used = offset + bytes;
  b.shared_dirty = std::max(b.shared_dirty, (b.shared_used + 3) / 4 * 4);  // cleared when the next block starts
  b.allocs.push_back(SharedAlloc{name, offset, bytes});
  *shadow = &b.shadow[offset / 4];
  return &b.shared[offset];
}

void shared_access(const void* addr, size_t bytes, bool write, SharedWord* shadow, const char* name, int64_t flat_index,
                   const Loc& loc) {
  Block& b = block_or_throw("shared memory");
  const int me = b.current;
  const uint32_t epoch = b.epoch + 1;  // shadow epochs start at 1 so that 0 means "never"
  for (size_t w = 0; w < (bytes + 3) / 4; ++w) {
    SharedWord& s = shadow[w];
    auto element = [&] {
      std::string e = name;
      e.append(" (element ").append(std::to_string(flat_index)).append(" of the flattened array)");
      return e;
    };
    if (!write) {
      if (!s.written) {
        throw KernelError(cat("read of shared memory never written in this block: ", element(), " by ", who(), " at ",
                              where(loc), " (a missing __syncthreads() before reading what other threads store?)"));
      }
      if (s.write_epoch == epoch && s.writer != me) {
        throw KernelError(cat("shared-memory race on ", element(), ": written by ", who(s.writer), " and read by ",
                              who(), " at ", where(loc), " with no __syncthreads() between"));
      }
      if (s.read_epoch == epoch && s.reader != me) {
        s.reader = -2;
      } else if (s.read_epoch != epoch) {
        s.read_epoch = epoch, s.reader = me;
      }
    } else {
      if (s.write_epoch == epoch && s.writer != me) {
        throw KernelError(cat("shared-memory race on ", element(), ": written by ", who(s.writer), " and by ", who(),
                              " at ", where(loc), " with no __syncthreads() between"));
      }
      if (s.read_epoch == epoch && s.reader != me) {
        const std::string reader = s.reader == -2 ? std::string("other threads") : who(s.reader);
        throw KernelError(cat("shared-memory race on ", element(), ": read by ", reader, " and overwritten by ", who(),
                              " at ", where(loc), " with no __syncthreads() between"));
      }
      s.written = true, s.write_epoch = epoch, s.writer = me;
    }
  }
  log_access(b, name, static_cast<uint64_t>(static_cast<const unsigned char*>(addr) - b.shared.data()), bytes, write,
             true, loc);
}

void run_grid(dim3 grid, dim3 block, const void* body, void (*call)(const void*)) {
  if (g_block != nullptr) throw KernelError("sim::launch called from inside a kernel");
  const uint64_t nthreads = uint64_t(block.x) * block.y * block.z;
  if (nthreads == 0 || nthreads > kMaxThreadsPerBlock || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
      grid.y > 65535 || grid.z > 65535) {
    throw KernelError(cat("invalid launch configuration: grid (", std::to_string(grid.x), ",", std::to_string(grid.y),
                          ",", std::to_string(grid.z), "), block (", std::to_string(block.x), ",",
                          std::to_string(block.y), ",", std::to_string(block.z),
                          ") (a block holds 1 to 1024 threads)"));
  }
  std::unique_ptr<Block> owned = std::move(g_spare_block);
  if (!owned) {
    owned = std::make_unique<Block>();
    owned->shared.resize(kSharedBytesPerBlock);
    owned->shadow.resize(kSharedBytesPerBlock / 4);
    owned->shared_dirty = kSharedBytesPerBlock;
  }
  Block& b = *owned;
  b.grid = grid, b.dim = block, b.body = body, b.call = call;
  b.threads.resize(nthreads);
  b.current = -1, b.barriers = 0, b.error = nullptr;
  b.site_index.clear(), b.sites.clear(), b.buffers.clear();
  for (auto& slot : b.site_cache) slot = {};
  Analysis an;
  struct Reset {
    std::unique_ptr<Block>& owned;
    ~Reset() {
      g_block = nullptr;
      g_spare_block = std::move(owned);
    }
  } reset{owned};
  g_block = &b;
  for (unsigned bz = 0; bz < grid.z; ++bz) {
    for (unsigned by = 0; by < grid.y; ++by) {
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        b.idx = uint3{bx, by, bz};
        b.epoch = 0;
        b.allocs.clear();
        b.shared_used = 0;
        // shared memory starts poisoned: shadow "never written", values NaN (only the part used before)
        std::fill(b.shadow.begin(), b.shadow.begin() + static_cast<std::ptrdiff_t>(b.shared_dirty / 4), SharedWord{});
        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (size_t i = 0; i < b.shared_dirty; i += 4) std::memcpy(&b.shared[i], &nan, 4);
        b.shared_dirty = 0;
        for (uint64_t i = 0; i < nthreads; ++i) {
          Thread& t = b.threads[i];
          t.idx = uint3{unsigned(i % block.x), unsigned(i / block.x % block.y),
                        unsigned(i / (uint64_t(block.x) * block.y))};
          t.linear = static_cast<int>(i);
          t.state = State::runnable;
          t.started = false;
          t.log.clear();
          t.occ.clear();
        }
        for (;;) {
          for (int i = 0; i < static_cast<int>(nthreads); ++i) {
            if (b.threads[size_t(i)].state != State::runnable) continue;
            resume(b, i);
            if (b.error) break;
          }
          if (b.error) {
            for (Thread& t : b.threads) give_stack(std::exchange(t.stack, nullptr), true);
            std::rethrow_exception(b.error);
          }
          int waiting = -1, exited = -1;
          for (const Thread& t : b.threads) {
            if (t.state == State::at_barrier && waiting < 0) waiting = t.linear;
            if (t.state == State::done && exited < 0) exited = t.linear;
          }
          if (waiting < 0) break;  // every thread returned
          if (exited >= 0) {
            for (Thread& t : b.threads) give_stack(std::exchange(t.stack, nullptr), true);
            throw KernelError(cat("barrier not reached by every thread of block ", dims(b.idx), ": ", who(waiting),
                                  " waits at __syncthreads() while ", who(exited),
                                  " has returned (on a GPU this is undefined behaviour: hang or wrong results)"));
          }
          ++b.epoch;
          ++b.barriers;
          for (Thread& t : b.threads) {
            t.state = State::runnable;
            t.occ.clear();
          }
        }
        analyse_block(b, an);
      }
    }
  }
  Stats& S = an.stats;
  S.launches = 1;
  S.blocks = int64_t(grid.x) * grid.y * grid.z;
  S.threads = S.blocks * int64_t(nthreads);
  S.barriers = b.barriers;
  S.max_bank_conflict_ways =
      std::max(S.max_bank_conflict_ways, S.shared_load_requests + S.shared_store_requests > 0 ? 1 : 0);
  S.sites = std::move(an.per_site);
  S.buffers = std::move(an.per_buffer);
  for (Capture* c : g_captures) const_cast<Stats&>(c->stats()).add(S);
}

}  // namespace detail

Capture::Capture() { detail::g_captures.push_back(this); }
Capture::~Capture() { std::erase(detail::g_captures, this); }

namespace {
double ratio(int64_t a, int64_t b) { return b > 0 ? double(a) / double(b) : 0.0; }
}  // namespace

double Stats::load_sectors_per_request() const { return ratio(global_load_sectors, global_load_requests); }
double Stats::store_sectors_per_request() const { return ratio(global_store_sectors, global_store_requests); }
double Stats::sectors_per_request() const { return ratio(global_sectors(), global_requests()); }

void Stats::add(const Stats& o) {
  launches += o.launches, blocks += o.blocks, threads += o.threads, barriers += o.barriers;
  global_load_requests += o.global_load_requests, global_store_requests += o.global_store_requests;
  global_load_sectors += o.global_load_sectors, global_store_sectors += o.global_store_sectors;
  global_load_lines += o.global_load_lines, global_store_lines += o.global_store_lines;
  global_load_bytes += o.global_load_bytes, global_store_bytes += o.global_store_bytes;
  shared_load_requests += o.shared_load_requests, shared_store_requests += o.shared_store_requests;
  shared_load_wavefronts += o.shared_load_wavefronts, shared_store_wavefronts += o.shared_store_wavefronts;
  shared_conflict_wavefronts += o.shared_conflict_wavefronts;
  max_bank_conflict_ways = std::max(max_bank_conflict_ways, o.max_bank_conflict_ways);
  for (const BufferStats& s : o.buffers) {
    auto it = std::find_if(buffers.begin(), buffers.end(),
                           [&](const BufferStats& x) { return x.name == s.name && x.shared == s.shared; });
    if (it == buffers.end()) {
      buffers.push_back(s);
    } else {
      it->load_requests += s.load_requests, it->store_requests += s.store_requests;
      it->load_sectors += s.load_sectors, it->store_sectors += s.store_sectors;
      it->load_bytes += s.load_bytes, it->store_bytes += s.store_bytes;
      it->wavefronts += s.wavefronts, it->max_ways = std::max(it->max_ways, s.max_ways);
    }
  }
  for (const SiteStats& s : o.sites) {
    auto it = std::find_if(sites.begin(), sites.end(), [&](const SiteStats& x) {
      return x.where == s.where && x.shared == s.shared && x.write == s.write;
    });
    if (it == sites.end()) {
      sites.push_back(s);
    } else {
      it->requests += s.requests, it->sectors += s.sectors, it->wavefronts += s.wavefronts;
      it->max_ways = std::max(it->max_ways, s.max_ways);
    }
  }
}

BufferStats Stats::buffer(const std::string& name) const {
  for (const BufferStats& b : buffers) {
    if (b.name == name) return b;
  }
  BufferStats none;
  none.name = name;
  return none;
}

std::string Stats::describe() const {
  char line[256];
  std::string s;
  std::snprintf(line, sizeof line,
                "%lld launch(es), %lld blocks, %lld threads, %lld barriers\n"
                "global loads:  %lld requests, %lld sectors (%.2f per request)\n"
                "global stores: %lld requests, %lld sectors (%.2f per request)\n"
                "shared: %lld load + %lld store requests, %lld conflict wavefronts, worst %d-way\n",
                (long long)launches, (long long)blocks, (long long)threads, (long long)barriers,
                (long long)global_load_requests, (long long)global_load_sectors, load_sectors_per_request(),
                (long long)global_store_requests, (long long)global_store_sectors, store_sectors_per_request(),
                (long long)shared_load_requests, (long long)shared_store_requests,
                (long long)shared_conflict_wavefronts, max_bank_conflict_ways);
  s.append(line);
  for (const BufferStats& x : buffers) {
    if (x.shared) {
      std::snprintf(line, sizeof line, "  shared %-8s %8lld load + %lld store requests, worst %d-way\n", x.name.c_str(),
                    (long long)x.load_requests, (long long)x.store_requests, x.max_ways);
    } else {
      std::snprintf(line, sizeof line,
                    "  global %-8s loads %lld requests (%.2f sectors each), stores %lld requests (%.2f sectors each)\n",
                    x.name.c_str(), (long long)x.load_requests, x.load_sectors_per_request(),
                    (long long)x.store_requests, x.store_sectors_per_request());
    }
    s.append(line);
  }
  for (const SiteStats& x : sites) {
    if (x.shared) {
      std::snprintf(line, sizeof line, "  %-28s shared %-5s %8lld requests, %.2f wavefronts each, worst %d-way\n",
                    x.where.c_str(), x.write ? "store" : "load", (long long)x.requests, ratio(x.wavefronts, x.requests),
                    x.max_ways);
    } else {
      std::snprintf(line, sizeof line, "  %-28s global %-5s %8lld requests, %.2f sectors each\n", x.where.c_str(),
                    x.write ? "store" : "load", (long long)x.requests, ratio(x.sectors, x.requests));
    }
    s.append(line);
  }
  return s;
}

float4 load_float4(global_ptr<const float> p, std::source_location l) {
  const detail::Loc loc{l.file_name(), l.line(), l.column()};
  const float* e = p.element(0, loc);
  p.element(3, loc);
  if (p.offset() % 4 != 0) detail::misaligned(p.name(), p.offset(), 16, loc);
  detail::global_access(p.name(), p.begin(), e, 16, false, loc);
  return float4{e[0], e[1], e[2], e[3]};
}

void store_float4(global_ptr<float> p, const float4& v, std::source_location l) {
  const detail::Loc loc{l.file_name(), l.line(), l.column()};
  float* e = p.element(0, loc);
  p.element(3, loc);
  if (p.offset() % 4 != 0) detail::misaligned(p.name(), p.offset(), 16, loc);
  detail::global_access(p.name(), p.begin(), e, 16, true, loc);
  e[0] = v.x, e[1] = v.y, e[2] = v.z, e[3] = v.w;
}

}  // namespace qwen3::sim

void __syncthreads() {
  using namespace qwen3::sim::detail;
  Block& b = block_or_throw("__syncthreads()");
  Thread& t = b.threads[static_cast<size_t>(b.current)];
  t.state = State::at_barrier;
  switch_to_scheduler(t, false);
}
