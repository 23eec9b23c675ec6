// Statistics entry points: argument checks, then dispatch to the backend.
#include <new>
#include <string.h>

#include "../kernels/finalize.h"
#include "internal.h"

// A defect the emulated suite must catch (tests/emu/README.md); false outside it.
#ifdef CUBIAS_EMU
namespace cubias_emu { int planted(int n); }
#define CUBIAS_EMU_PLANT(n) (::cubias_emu::planted(n))
#else
#define CUBIAS_EMU_PLANT(n) false
#endif

static size_t state_bytes(int64_t channels) {
  return (size_t)CUBIAS_MOMENT_FIELDS * sizeof(double) * (size_t)channels;
}


size_t cubias_stats_workspace_bytes(cubias_handle_t h, const cubias_plan_t *plan,
                                    int64_t channels) {
  return h->ops->stats_workspace_bytes(plan, channels);
}

extern "C" cubias_status_t cubias_stats_create(cubias_handle_t h, int64_t channels,
                                               cubias_activation_t act_arg, float act_param,
                                               cubias_stats_t *out) {
  CUBIAS_ENTRY("cubias_stats_create");
  const int act = cubias_enum_int(act_arg);  // the int the caller stored
  if (out) *out = nullptr;  // the out-handle contract: NULL on every failure
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!out) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: stats is NULL", where);
  if (channels < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: channels is %lld; must be >= 1", where,
                       (long long)channels);
  if (channels > ((int64_t)1 << 40))
    return cubias_fail(h, CUBIAS_STATUS_OVERFLOW, "%s: channels %lld is too large", where,
                       (long long)channels);
  if ((int)act < CUBIAS_ACT_IDENTITY || (int)act > CUBIAS_ACT_SILU)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown activation %d", where,
                       (int)act);
  if (act == CUBIAS_ACT_LEAKY_RELU && !cubias_finite(act_param))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: the leaky-ReLU slope must be finite (got %g)", where, (double)act_param);
  cubias_stats_s *s = new (std::nothrow) cubias_stats_s();
  if (!s) return cubias_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "%s: out of host memory", where);
  s->owner = h;
  s->channels = channels;
  s->act = (int)act;
  s->slope = act == CUBIAS_ACT_LEAKY_RELU ? act_param : 0.0f;
  s->state = nullptr;
  st = h->ops->alloc(h, state_bytes(channels), &s->state);
  if (st) {
    delete s;
    return st;
  }
  st = h->ops->stats_reset(h, s);
  if (st) {
    h->ops->free(h, s->state);
    delete s;
    return st;
  }
  h->live_stats++;
  *out = s;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_stats_destroy(cubias_stats_t s) {
  CUBIAS_ENTRY("cubias_stats_destroy");
  if (!s) return CUBIAS_STATUS_SUCCESS;
  cubias_handle_t h = s->owner;
  cubias_status_t st = cubias_enter_device(h);
  if (!st) st = h->ops->sync(h);  // enqueued work may still use the state
  h->ops->free(h, s->state);
  h->live_stats--;
  delete s;
  return st;
}

extern "C" cubias_status_t cubias_stats_channels(cubias_stats_t s, int64_t *channels) {
  CUBIAS_ENTRY("cubias_stats_channels");
  if (!s || !channels)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "cubias_stats_channels: stats or channels is NULL");
  *channels = s->channels;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_stats_reset(cubias_handle_t h, cubias_stats_t s) {
  CUBIAS_ENTRY("cubias_stats_reset");
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  return h->ops->stats_reset(h, s);
}

// The plan and workspace of a pass over x, which the caller has checked (once: the
// check queries the pointer's memory type, which is not free on the hot path).
static cubias_status_t plan_for(cubias_handle_t h, const cubias_tensor_t *x, cubias_plan_t *plan,
                                void **ws) {
  *plan = cubias_make_plan(x->outer, x->channels, x->inner);
  return cubias_workspace(h, cubias_stats_workspace_bytes(h, plan, x->channels), ws);
}

extern "C" cubias_status_t cubias_stats_accumulate(cubias_handle_t h, cubias_stats_t s,
                                                   const cubias_tensor_t *x) {
  CUBIAS_ENTRY("cubias_stats_accumulate");
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  st = cubias_check_tensor(h, x, where);
  if (st) return st;
  if (x->channels != s->channels)
    return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                       "%s: the tensor has %lld channels, the accumulator %lld", where,
                       (long long)x->channels, (long long)s->channels);
  cubias_plan_t plan;
  void *ws = nullptr;
  st = plan_for(h, x, &plan, &ws);
  if (st) return st;
  return h->ops->stats_accumulate(h, s, x, &plan, ws);
}

extern "C" cubias_status_t cubias_reserve_workspace(cubias_handle_t h, const cubias_tensor_t *x) {
  CUBIAS_ENTRY("cubias_reserve_workspace");
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  st = cubias_check_tensor(h, x, where);
  if (st) return st;
  cubias_plan_t plan;
  void *ws = nullptr;
  return plan_for(h, x, &plan, &ws);
}

static cubias_status_t check_compatible(cubias_handle_t h, cubias_stats_t a, cubias_stats_t b,
                                        const char *where) {
  if (a->channels != b->channels)
    return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH, "%s: channels differ (%lld vs %lld)",
                       where, (long long)a->channels, (long long)b->channels);
  if (a->act != b->act || a->slope != b->slope)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: the accumulators track different activations (%d vs %d)", where,
                       a->act, b->act);
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_stats_merge(cubias_handle_t h, cubias_stats_t dst,
                                              cubias_stats_t src) {
  CUBIAS_ENTRY("cubias_stats_merge");
  cubias_status_t st = cubias_check_stats(h, dst, where);
  if (st) return st;
  st = cubias_check_stats(h, src, where);
  if (st) return st;
  if (dst == src)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: dst and src are the same object (merging data with itself counts it twice)",
                       where);
  st = check_compatible(h, dst, src, where);
  if (st) return st;
  return h->ops->stats_merge_state(h, dst, src->state);
}

extern "C" cubias_status_t cubias_stats_export_size(cubias_stats_t s, size_t *bytes) {
  CUBIAS_ENTRY("cubias_stats_export_size");
  if (!s || !bytes)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "cubias_stats_export_size: stats or bytes is NULL");
  *bytes = CUBIAS_EXPORT_HEADER + state_bytes(s->channels);
  return CUBIAS_STATUS_SUCCESS;
}

static cubias_export_header_t header_of(cubias_stats_t s) {
  cubias_export_header_t hdr;
  memset(&hdr, 0, sizeof hdr);
  hdr.magic = CUBIAS_EXPORT_MAGIC;
  hdr.version = CUBIAS_EXPORT_VERSION;
  hdr.act = s->act;
  hdr.channels = s->channels;
  hdr.slope = s->slope;
  hdr.fields = CUBIAS_MOMENT_FIELDS;
  return hdr;
}

extern "C" cubias_status_t cubias_stats_export(cubias_handle_t h, cubias_stats_t s, void *d_buffer) {
  CUBIAS_ENTRY("cubias_stats_export");
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  st = cubias_check_backend_ptr(h, d_buffer, 8, "buffer", where);
  if (st) return st;
  cubias_export_header_t hdr = header_of(s);
  char *out = (char *)d_buffer;
  st = h->ops->write_header(h, out, &hdr);
  if (st) return st;
  return h->ops->copy(h, out + CUBIAS_EXPORT_HEADER, s->state, state_bytes(s->channels), 2);
}

// Check `count` exports laid back to back (headers read first: one
// synchronisation on CUDA), then merge them in order into s, after a reset if
// `replace`. Nothing changes unless every header is valid.
static cubias_status_t import_exports(cubias_handle_t h, cubias_stats_t s, const void *d_buffers,
                                      int64_t count, int replace, const char *where) {
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  st = cubias_check_backend_ptr(h, d_buffers, 8, "buffer", where);
  if (st) return st;
  if (count < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: count is %lld; must be >= 1", where,
                       (long long)count);
  const size_t stride = CUBIAS_EXPORT_HEADER + state_bytes(s->channels);
  const char *base = (const char *)d_buffers;
  cubias_export_header_t *hdrs = nullptr;
  // Host scratch on every backend: the CPU backend's allocator is host memory.
  st = cubias_cpu_alloc(h, sizeof(cubias_export_header_t) * (size_t)count, (void **)&hdrs);
  if (st) return st;
  for (int64_t r = 0; r < count && !st; ++r)
    st = h->ops->copy(h, &hdrs[r], base + r * stride, sizeof *hdrs, 1);
  if (!st) st = h->ops->sync(h);
  const cubias_export_header_t want = header_of(s);
  for (int64_t r = 0; r < count && !st; ++r) {
    const cubias_export_header_t &hdr = hdrs[r];
    if (hdr.magic != want.magic)
      st = cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: buffer %lld is not a cubias statistics export (bad magic)", where,
                       (long long)r);
    else if (hdr.version != want.version || hdr.fields != want.fields)
      st = cubias_fail(h, CUBIAS_STATUS_NOT_SUPPORTED,
                       "%s: buffer %lld has export format version %u with %u fields; this library "
                       "reads version %u",
                       where, (long long)r, hdr.version, hdr.fields, want.version);
    else if (hdr.channels != want.channels)
      st = cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                       "%s: buffer %lld has %lld channels, the accumulator %lld", where,
                       (long long)r, (long long)hdr.channels, (long long)want.channels);
    else if (hdr.act != want.act || hdr.slope != want.slope)
      st = cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: buffer %lld tracks activation %d, the accumulator %d", where,
                       (long long)r, hdr.act, want.act);
  }
  cubias_cpu_free(h, hdrs);
  if (st) return st;
  if (replace) st = h->ops->stats_reset(h, s);
  for (int64_t r = 0; r < count && !st; ++r) {
    const char *src = base + r * stride + CUBIAS_EXPORT_HEADER;
    st = h->ops->stats_merge_state(h, s, src);
  }
  return st;
}

extern "C" cubias_status_t cubias_stats_import_merge(cubias_handle_t h, cubias_stats_t s,
                                                     const void *d_buffer) {
  CUBIAS_ENTRY("cubias_stats_import_merge");
  return import_exports(h, s, d_buffer, 1, 0, where);
}

extern "C" cubias_status_t cubias_stats_merge_exports(cubias_handle_t h, cubias_stats_t s,
                                                      const void *d_buffers, int64_t count) {
  CUBIAS_ENTRY("cubias_stats_merge_exports");
  return import_exports(h, s, d_buffers, count, 1, where);
}

extern "C" cubias_status_t cubias_stats_write_field(cubias_handle_t h, cubias_stats_t s,
                                                    cubias_stat_field_t field_arg, double *d_out) {
  CUBIAS_ENTRY("cubias_stats_write_field");
  const int field = cubias_enum_int(field_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  if ((int)field < CUBIAS_FIELD_COUNT || (int)field > CUBIAS_FIELD_DPHI_SQ_MEAN)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown field %d", where, (int)field);
  st = cubias_check_backend_ptr(h, d_out, sizeof(double), "out", where);
  if (st) return st;
  return h->ops->stats_write_field(h, s, (int)field, d_out);
}

extern "C" cubias_status_t cubias_stats_read(cubias_handle_t h, cubias_stats_t s,
                                             cubias_channel_stats_t *h_out) {
  CUBIAS_ENTRY("cubias_stats_read");
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  if (!h_out) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: out is NULL", where);
  const int64_t C = s->channels;
  const size_t bytes = state_bytes(C);
  void *host = nullptr;
  st = cubias_cpu_alloc(h, bytes, &host);  // host scratch on every backend
  if (st) return st;
  st = h->ops->copy(h, host, s->state, bytes, 1);
  // Planted defect 5 (tests/emu): the sync after the host has read the copy.
  if (!st && !CUBIAS_EMU_PLANT(5)) st = h->ops->sync(h);
  if (st) {
    cubias_cpu_free(h, host);
    return st;
  }
  for (int64_t c = 0; c < C; ++c) {
    cubias_moments_t m = cubias_moments_load(host, C, c);
    cubias_final_t f = cubias_moments_finalize(m, s->act, s->slope);
    cubias_channel_stats_t *o = &h_out[c];
    o->count = m.count;
    o->nonfinite = m.nonfinite;
    o->positive = m.positive;
    o->mean = f.mean;
    o->var = f.var;
    o->var_unbiased = f.var_unbiased;
    o->min = f.min;
    o->max = f.max;
    o->active_fraction = f.active_fraction;
    o->phi_mean = f.phi_mean;
    o->phi_sq_mean = f.phi_sq_mean;
    o->dphi_sq_mean = f.dphi_sq_mean;
  }
  if (CUBIAS_EMU_PLANT(5)) h->ops->sync(h);
  cubias_cpu_free(h, host);
  return CUBIAS_STATUS_SUCCESS;
}
