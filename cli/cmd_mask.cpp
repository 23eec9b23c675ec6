// `cubias mask`: additive attention masks (padding and/or causal) with the
// dtype-aware mask value.
#include <climits>
#include <cstdio>

#include "cli.h"

namespace cli {

int run_mask(const Args &a) {
  if (!a.positional.empty()) return fail("mask takes no file argument (see cubias mask --help)");
  std::string err, out;
  if (!out_path(a, &out, &err)) return fail(err);
  if (!a.has("tq") || !a.has("tk")) return fail("--tq TQ and --tk TK are required");
  const int64_t kMax = int64_t(1) << 40;
  int64_t B, TQ, TK, offset;
  if (!a.integer("batch", 1, 1, kMax, &B, &err) || !a.integer("tq", 0, 1, kMax, &TQ, &err) ||
      !a.integer("tk", 0, 1, kMax, &TK, &err) ||
      !a.integer("offset", 0, -(int64_t(1) << 62), int64_t(1) << 62, &offset, &err))
    return fail(err);
  const bool causal = a.has("causal");
  if (a.has("offset") && !causal) return fail("--offset needs --causal");
  int empty_i;
  if (!a.choice("empty-row", {"equal", "zero"}, 0, &empty_i, &err)) return fail(err);
  const cubias_mask_empty_row_t empty =
      empty_i == 0 ? CUBIAS_MASK_EMPTY_ROW_EQUAL : CUBIAS_MASK_EMPTY_ROW_ZERO;
  cubias_dtype_t dt;
  npy::Kind kind;
  if (!parse_out_dtype(a, &dt, &kind, &err)) return fail(err);

  std::vector<int32_t> lengths;
  if (a.has("lengths")) {
    const std::string lp = a.get("lengths", "");
    npy::Header h;
    std::vector<char> raw;
    if (!npy::read_all(lp, &h, &raw, &err)) return fail(err);
    if (h.kind != npy::Kind::I32 && h.kind != npy::Kind::I64)
      return fail(lp + ": lengths must be int32 or int64, the file holds " + npy::kind_name(h.kind));
    if (h.shape.size() != 1)
      return fail(lp + ": lengths must have shape [B], the file has " + shape_str(h.shape));
    if (h.count == 0) return fail(lp + ": no lengths (shape " + shape_str(h.shape) + ")");
    if (!a.has("batch")) B = h.count;
    if (h.count != B)
      return fail(lp + ": " + std::to_string(h.count) + " lengths but --batch " + std::to_string(B));
    lengths.resize((size_t)B);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t v = npy::int_at(h, raw.data(), b);
      // The library clamps lengths to [0, TK]; clamp to int32 first.
      lengths[b] = (int32_t)(v < 0 ? -1 : v > INT32_MAX ? INT32_MAX : v);
    }
  } else if (!a.has("batch")) {
    return fail("--batch B is required (or --lengths L.npy, whose size gives B)");
  }
  const double elems = (double)B * (double)TQ * (double)TK;
  if (elems > 4e9) return fail("a mask of " + json_number(elems) + " entries is too large (at most 4e9)");
  if (lengths.empty() && !causal)
    return fail("nothing to mask: give --lengths L.npy (padding) and/or --causal");
  const int flags = (lengths.empty() ? 0 : CUBIAS_MASK_PADDING) | (causal ? CUBIAS_MASK_CAUSAL : 0);
  double mval = 0;
  cubias_mask_value(dt, &mval);
  Session s;
  if (!s.open(a, &err)) return fail(err);
  const void *dl = nullptr;
  if (!lengths.empty() && !s.to_backend(lengths.data(), lengths.size() * 4, &dl, &err))
    return fail(err);
  void *d = nullptr;
  if (!s.alloc((size_t)elems * dtype_bytes(dt), &d, &err)) return fail(err);
  cubias_status_t st = cubias_attention_mask(s.handle(), flags, (const int32_t *)dl, B, TQ, TK,
                                             offset, empty, d, dt);
  if (st) return fail_status("cubias_attention_mask", st, s.handle());
  if (!fetch_and_write(s, d, {B, TQ, TK}, dt, kind, out, &err)) return fail(err);
  printf("mask: [%lld, %lld, %lld] %s%s%s -> %s, mask value %.8g (0 where visible)\n",
         (long long)B, (long long)TQ, (long long)TK, npy::kind_name(kind),
         lengths.empty() ? "" : ", padding", causal ? (", causal offset " + std::to_string(offset)).c_str() : "",
         out.c_str(), mval);
  return 0;
}

}  // namespace cli
