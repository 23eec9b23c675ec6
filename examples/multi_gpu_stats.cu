// Global statistics across GPUs with NCCL, one process per GPU (as in
// data-parallel training): every rank accumulates its own shard, then
// cubias_stats_allgather_nccl gives every rank the same global statistics,
// bit for bit. Run: ./multi_gpu_stats [ranks]   (default: every visible GPU)
#include <cuda_runtime.h>
#include <nccl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cubias.h"

static int run_rank(int rank, int nranks, ncclUniqueId id) {
  const int64_t C = 256, rows = 10000 + 3000 * rank;  // uneven shards
  if (cudaSetDevice(rank) != cudaSuccess) return 1;
  ncclComm_t comm;
  if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 2;
  std::vector<float> h((size_t)(rows * C));
  unsigned s = 12345u + 977u * rank;
  for (float &v : h) {  // uniform(-1, 1) + the rank's own offset
    s = s * 1664525u + 1013904223u;
    v = (float)((s >> 8) * (2.0 / 16777216.0) - 1.0) + 0.1f * rank;
  }
  float *d = nullptr;
  cudaMalloc(&d, h.size() * sizeof(float));
  cudaMemcpy(d, h.data(), h.size() * sizeof(float), cudaMemcpyHostToDevice);

  cubias_handle_t hd;
  cubias_stats_t st;
  cubias_tensor_t x;
  size_t bytes = 0;
  void *scratch = nullptr;
  if (cubias_create(&hd, CUBIAS_BACKEND_CUDA) || cubias_stats_create(hd, C, CUBIAS_ACT_RELU, 0, &st) ||
      cubias_tensor_rows(&x, d, CUBIAS_DTYPE_F32, rows, C) || cubias_stats_accumulate(hd, st, &x) ||
      cubias_stats_export_size(st, &bytes) || cudaMalloc(&scratch, bytes * nranks) != cudaSuccess ||
      cubias_stats_allgather_nccl(hd, st, comm, scratch)) {
    fprintf(stderr, "rank %d: %s\n", rank, cubias_get_last_error(hd));
    return 3;
  }
  std::vector<cubias_channel_stats_t> out((size_t)C);
  cubias_stats_read(hd, st, out.data());
  uint64_t digest = 1469598103934665603ull;  // FNV-1a of the results: equal on every rank
  const unsigned char *p = (const unsigned char *)out.data();
  for (size_t i = 0; i < out.size() * sizeof out[0]; ++i) digest = (digest ^ p[i]) * 1099511628211ull;
  printf("rank %d: %lld local rows; global count %lld, mean[0] %.9f, var[0] %.9f, digest %016llx\n",
         rank, (long long)rows, (long long)out[0].count, out[0].mean, out[0].var,
         (unsigned long long)digest);
  cubias_stats_destroy(st);
  cubias_destroy(hd);
  cudaFree(scratch);
  cudaFree(d);
  ncclCommDestroy(comm);
  return 0;
}

// CUDA must not be initialised in a process that forks CUDA users: count the
// devices in a throwaway child.
static int count_devices() {
  pid_t pid = fork();
  if (pid == 0) {
    int n = 0;
    _exit(cudaGetDeviceCount(&n) == cudaSuccess ? (n > 100 ? 100 : n) : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

int main(int argc, char **argv) {
  const int ngpu = count_devices();
  if (ngpu < 1) {
    printf("multi_gpu_stats: needs at least one CUDA device; none answers, nothing to do\n");
    return 0;
  }
  const int nranks = argc > 1 ? atoi(argv[1]) : ngpu;
  if (nranks < 1 || nranks > ngpu) {
    fprintf(stderr, "multi_gpu_stats: ranks must be 1..%d\n", ngpu);
    return 2;
  }
  ncclUniqueId id;
  if (ncclGetUniqueId(&id) != ncclSuccess) return 1;
  std::vector<pid_t> kids;
  for (int r = 0; r < nranks; ++r) {
    pid_t pid = fork();
    if (pid == 0) _exit(run_rank(r, nranks, id));
    kids.push_back(pid);
  }
  int failed = 0;
  for (pid_t k : kids) {
    int status = 0;
    waitpid(k, &status, 0);
    failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  printf(failed ? "some rank failed\n" : "all ranks hold the same global statistics (compare the digests)\n");
  return failed;
}
