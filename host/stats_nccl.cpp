// Global statistics across ranks over NCCL: export, all-gather, merge in rank
// order. Compiled in every build; the NCCL part only where NCCL was found.
#include "internal.h"

#ifdef CUBIAS_HAVE_NCCL
#include <nccl.h>
#endif

extern "C" cubias_status_t cubias_stats_allgather_nccl(cubias_handle_t h, cubias_stats_t s,
                                                       void *nccl_comm, void *d_scratch) {
  CUBIAS_ENTRY("cubias_stats_allgather_nccl");
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  if (!nccl_comm) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: nccl_comm is NULL", where);
  // NCCL moves device memory on a CUDA stream: a requirement on the handle, not
  // an operation a backend could supply.
  if (h->backend != CUBIAS_BACKEND_CUDA)
    return cubias_fail(h, CUBIAS_STATUS_NOT_SUPPORTED, "%s: needs the CUDA backend", where);
  st = cubias_check_backend_ptr(h, d_scratch, 8, "d_scratch", where);
  if (st) return st;
#ifdef CUBIAS_HAVE_NCCL
  ncclComm_t comm = (ncclComm_t)nccl_comm;
  int rank = 0, nranks = 0;
  ncclResult_t r = ncclCommUserRank(comm, &rank);
  if (r == ncclSuccess) r = ncclCommCount(comm, &nranks);
  if (r != ncclSuccess)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: bad communicator: %s", where,
                       ncclGetErrorString(r));
  size_t bytes = 0;
  cubias_stats_export_size(s, &bytes);
  char *slots = (char *)d_scratch;
  st = cubias_stats_export(h, s, slots + (size_t)rank * bytes);
  if (st) return st;
  // In place: rank r's send buffer is its own slot of the receive buffer.
  r = ncclAllGather(slots + (size_t)rank * bytes, slots, bytes, ncclChar, comm,
                    (cudaStream_t)h->stream);
  if (r != ncclSuccess)
    return cubias_fail(h, CUBIAS_STATUS_CUDA_ERROR, "%s: ncclAllGather failed: %s", where,
                       ncclGetErrorString(r));
  return cubias_stats_merge_exports(h, s, slots, nranks);
#else
  return cubias_fail(h, CUBIAS_STATUS_NOT_SUPPORTED, "%s: this cubias was built without NCCL",
                     where);
#endif
}
