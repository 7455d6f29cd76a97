// Step 1 of the CUPTI session (cupti_session.cpp): reading CUPTI's activity buffers. CUPTI hands back each buffer
// it filled; read_activity_buffer copies what the trace needs out of every record (the name strings too: CUPTI
// owns them) into plain structs, so that the buffer can be freed at once. Step 2, cupti_trace_builder.h, turns
// the collected Records into a Trace.
//
// The CUPTI record structs are those of the CUDA 13 headers (cupti_activity.h names, for each kind, the struct
// its records use): CUpti_ActivityKernel10, CUpti_ActivityMemcpy6, CUpti_ActivityMemset4, CUpti_ActivityAPI,
// CUpti_ActivitySynchronization2, CUpti_ActivityMarker2, CUpti_ActivityMarkerData2. Records are laid out by the
// libcupti that writes them, so the program must run with the libcupti of the toolkit it was built with (CMake's
// CUDA::cupti, found by its rpath), as it does unless LD_LIBRARY_PATH points at another toolkit.
// Every time is a CUPTI timestamp: nanoseconds on CUPTI's one clock, host and device alike.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace qwen3::prof::cupti {

struct KernelRecord {
  std::string name;  // mangled, as CUPTI reports it
  uint64_t start = 0, end = 0;
  uint32_t device = 0, stream = 0, correlation = 0;
  int32_t grid[3] = {0, 0, 0}, block[3] = {0, 0, 0};
  uint32_t registers = 0;
  int32_t static_shared = 0, dynamic_shared = 0;
};

struct TransferRecord {  // a memcpy or a memset
  bool is_memset = false;
  uint8_t copy_kind = 0;  // CUpti_ActivityMemcpyKind
  uint64_t bytes = 0, start = 0, end = 0;
  uint32_t device = 0, stream = 0, correlation = 0;
  uint32_t runtime_correlation = 0;  // memcpy only: the runtime call's id, when it differs from the driver's
};

struct ApiRecord {
  uint32_t cbid = 0;
  uint64_t start = 0, end = 0;
  uint32_t pid = 0, tid = 0, correlation = 0;
};

struct SyncRecord {
  uint32_t type = 0;  // CUpti_ActivitySynchronizationType
  uint64_t start = 0, end = 0;
  uint32_t correlation = 0, stream = 0;
};

struct MarkerRecord {
  uint32_t flags = 0;  // CUPTI_ACTIVITY_FLAG_MARKER_START / _END / _INSTANTANEOUS
  uint64_t timestamp = 0;
  uint32_t id = 0;
  bool has_thread = false;  // objectId names a (process, thread)
  uint32_t pid = 0, tid = 0;
  std::string name;    // start and instantaneous markers only
  std::string domain;  // "" for NVTX's default domain
};

// Everything a session has read so far, by kind, plus counts of what could not be read.
struct Records {
  std::vector<KernelRecord> kernels;
  std::vector<TransferRecord> transfers;
  std::vector<ApiRecord> api;
  std::vector<SyncRecord> syncs;
  std::vector<MarkerRecord> markers;
  std::unordered_map<uint32_t, uint32_t> marker_category;  // marker id -> NVTX category (MARKER_DATA)
  uint64_t buffers = 0;     // buffers CUPTI handed back
  uint64_t dropped = 0;     // records CUPTI could not store (no buffer space)
  uint64_t incomplete = 0;  // buffers whose walk ended on an invalid or incomplete record
  uint64_t other = 0;       // records of kinds this session does not use

  // Appends what another buffer held.
  void merge(Records&& o);
};

// Copies every record of one completed buffer (its first valid_bytes bytes) into `r`. Walks until CUPTI says there
// are no more records; an invalid or incomplete record ends the walk and counts in r.incomplete.
void read_activity_buffer(uint8_t* buffer, size_t valid_bytes, Records& r);

}  // namespace qwen3::prof::cupti
