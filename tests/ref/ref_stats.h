// Independent fp64 reference for cubias' per-channel statistics.
//
// Plain two-pass code in double over an (outer, channels, inner) view of f32,
// f16 or bf16 values. It shares no code with host/ or kernels/ (it does not even
// include cubias.h): its own half-precision decoders (ldexp on the bit fields),
// its own encoders (for building test data), its own activations in double.
// It is the oracle of the tests, so it is written for clarity, not speed.
#ifndef CUBIAS_REF_STATS_H
#define CUBIAS_REF_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <vector>

namespace ref {

// Element types, numbered like cubias_dtype_t.
enum Dtype { F32 = 0, F16 = 1, BF16 = 2 };
// Activations, numbered like cubias_activation_t.
enum Act { IDENTITY = 0, RELU = 1, LEAKY = 2, TANH = 3, SIGMOID = 4, GELU = 5, SILU = 6 };
constexpr int kNumActs = 7;

size_t dtype_bytes(int dtype);

// IEEE binary16 / bfloat16 bit patterns -> exact value (every pattern, NaN and
// +-Inf included; subnormals exact).
double f16_to_double(uint16_t bits);
double bf16_to_double(uint16_t bits);
// Nearest-even rounding to binary16 / bfloat16 (overflow -> +-Inf, NaN -> a
// quiet NaN). Used to build half-precision test data from float values.
uint16_t double_to_f16(double v);
uint16_t double_to_bf16(double v);

// Element i of a buffer of the given dtype, as a double (exact).
double load(const void *data, int dtype, int64_t i);

// phi(x) and phi'(x) in double. ReLU'(0) = 0, leaky'(0) = slope (the kink
// belongs to the negative side); GELU = x * Phi(x) (erf form); SiLU = x * sigmoid(x).
void activation(int act, double slope, double x, double *y, double *dy);
const char *act_name(int act);

// Per-channel results with cubias' documented conventions: non-finite entries
// are counted in `nonfinite` and excluded from everything else; a channel with
// count == 0 has NaN in every floating-point field; var_unbiased is NaN when
// count < 2.
struct Channel {
  int64_t count = 0, nonfinite = 0, positive = 0;
  double mean, var, var_unbiased, min, max, active_fraction;
  double phi_mean, phi_sq_mean, dphi_sq_mean;
};

// Two-pass statistics of a contiguous (outer, channels, inner) tensor:
// element (o, c, i) at index (o * channels + c) * inner + i.
std::vector<Channel> stats(const void *data, int dtype, int64_t outer, int64_t channels,
                           int64_t inner, int act, double slope);

// The same over several tensors of equal channel count taken together (the
// reference for streaming: batches 1..k are one data set).
struct View {
  const void *data;
  int dtype;
  int64_t outer, channels, inner;
};
std::vector<Channel> stats(const std::vector<View> &views, int act, double slope);

}  // namespace ref

#endif
