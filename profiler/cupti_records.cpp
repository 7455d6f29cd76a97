// Reading CUPTI's activity buffers (cupti_records.h): one small function per kind of record, each copying the
// fields the trace builder uses out of CUPTI's struct, and the walk over a buffer that dispatches on the kind.
// Called from the session's buffer-completed callback (cupti_session.cpp), possibly on a CUPTI thread.
#include "profiler/cupti_records.h"

#include <cupti.h>

#include <iterator>
#include <utility>

namespace qwen3::prof::cupti {

void Records::merge(Records&& o) {
  auto append = [](auto& to, auto& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  };
  append(kernels, o.kernels);
  append(transfers, o.transfers);
  append(api, o.api);
  append(syncs, o.syncs);
  append(markers, o.markers);
  marker_category.insert(o.marker_category.begin(), o.marker_category.end());
  buffers += o.buffers, dropped += o.dropped, incomplete += o.incomplete, other += o.other;
}

namespace {

// KIND_KERNEL and KIND_CONCURRENT_KERNEL: name, times, where it ran, its launch shape and resources.
KernelRecord read_kernel(const CUpti_ActivityKernel10& k) {
  KernelRecord x;
  x.name = k.name != nullptr ? k.name : "(unnamed kernel)";
  x.start = k.start, x.end = k.end;
  x.device = k.deviceId, x.stream = k.streamId, x.correlation = k.correlationId;
  x.grid[0] = k.gridX, x.grid[1] = k.gridY, x.grid[2] = k.gridZ;
  x.block[0] = k.blockX, x.block[1] = k.blockY, x.block[2] = k.blockZ;
  x.registers = k.registersPerThread;
  x.static_shared = k.staticSharedMemory, x.dynamic_shared = k.dynamicSharedMemory;
  return x;
}

// KIND_MEMCPY: direction, size, times, where; the runtime call's correlation id besides the driver's.
TransferRecord read_memcpy(const CUpti_ActivityMemcpy6& m) {
  TransferRecord x;
  x.copy_kind = m.copyKind, x.bytes = m.bytes, x.start = m.start, x.end = m.end;
  x.device = m.deviceId, x.stream = m.streamId, x.correlation = m.correlationId;
  x.runtime_correlation = m.runtimeCorrelationId;
  return x;
}

// KIND_MEMSET: size, times, where.
TransferRecord read_memset(const CUpti_ActivityMemset4& m) {
  TransferRecord x;
  x.is_memset = true;
  x.bytes = m.bytes, x.start = m.start, x.end = m.end;
  x.device = m.deviceId, x.stream = m.streamId, x.correlation = m.correlationId;
  return x;
}

// KIND_MARKER: an NVTX range's start or end (or an instantaneous mark), with the thread that made it.
MarkerRecord read_marker(const CUpti_ActivityMarker2& m) {
  MarkerRecord x;
  x.flags = static_cast<uint32_t>(m.flags);
  x.timestamp = m.timestamp;
  x.id = m.id;
  if (m.objectKind == CUPTI_ACTIVITY_OBJECT_THREAD || m.objectKind == CUPTI_ACTIVITY_OBJECT_PROCESS) {
    x.has_thread = m.objectKind == CUPTI_ACTIVITY_OBJECT_THREAD;
    x.pid = m.objectId.pt.processId;
    x.tid = m.objectId.pt.threadId;
  }
  if (m.name != nullptr) x.name = m.name;
  if (m.domain != nullptr) x.domain = m.domain;
  return x;
}

// One record into its list in `r`, by kind; kinds the session does not use are only counted.
void read_record(const CUpti_Activity* record, Records& r) {
  switch (record->kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      r.kernels.push_back(read_kernel(*reinterpret_cast<const CUpti_ActivityKernel10*>(record)));
      break;
    case CUPTI_ACTIVITY_KIND_MEMCPY:
      r.transfers.push_back(read_memcpy(*reinterpret_cast<const CUpti_ActivityMemcpy6*>(record)));
      break;
    case CUPTI_ACTIVITY_KIND_MEMSET:
      r.transfers.push_back(read_memset(*reinterpret_cast<const CUpti_ActivityMemset4*>(record)));
      break;
    case CUPTI_ACTIVITY_KIND_RUNTIME: {
      const auto* a = reinterpret_cast<const CUpti_ActivityAPI*>(record);
      r.api.push_back(ApiRecord{a->cbid, a->start, a->end, a->processId, a->threadId, a->correlationId});
      break;
    }
    case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION: {
      const auto* s = reinterpret_cast<const CUpti_ActivitySynchronization2*>(record);
      r.syncs.push_back(SyncRecord{static_cast<uint32_t>(s->type), s->start, s->end, s->correlationId, s->streamId});
      break;
    }
    case CUPTI_ACTIVITY_KIND_MARKER:
      r.markers.push_back(read_marker(*reinterpret_cast<const CUpti_ActivityMarker2*>(record)));
      break;
    case CUPTI_ACTIVITY_KIND_MARKER_DATA: {
      const auto* d = reinterpret_cast<const CUpti_ActivityMarkerData2*>(record);
      r.marker_category[d->id] = d->category;
      break;
    }
    default:
      ++r.other;
      break;
  }
}

}  // namespace

void read_activity_buffer(uint8_t* buffer, size_t valid_bytes, Records& r) {
  ++r.buffers;
  if (buffer == nullptr || valid_bytes == 0) return;
  CUpti_Activity* record = nullptr;
  for (;;) {
    const CUptiResult status = cuptiActivityGetNextRecord(buffer, valid_bytes, &record);
    if (status == CUPTI_ERROR_MAX_LIMIT_REACHED) break;  // the end of the buffer
    if (status != CUPTI_SUCCESS || record == nullptr) {  // an incomplete or invalid record: the rest is unreadable
      ++r.incomplete;
      break;
    }
    read_record(record, r);
  }
}

}  // namespace qwen3::prof::cupti
