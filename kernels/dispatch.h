/* Storage types and the one dispatch from runtime (dtype, activation class)
 * to compile-time template arguments, shared by the CPU backend and the CUDA
 * launchers: one templated path for f32/f16/bf16. */
#ifndef CUBIAS_DISPATCH_H
#define CUBIAS_DISPATCH_H

#include <type_traits>

#include "activations.h"
#include "dtype.h"

struct cubias_f32_t {
  typedef float storage;
  static CUBIAS_HD float get(float v) { return v; }
};
struct cubias_f16_t {
  typedef uint16_t storage;
  static CUBIAS_HD float get(uint16_t v) { return cubias_f16_to_f32(v); }
};
struct cubias_bf16_t {
  typedef uint16_t storage;
  static CUBIAS_HD float get(uint16_t v) { return cubias_bf16_to_f32(v); }
};

template <int CLASS>
using cubias_class_c = std::integral_constant<int, CLASS>;

/* Calls fn(DT{}, cubias_class_c<CLASS>{}) for the runtime dtype (0 f32, 1 f16,
 * 2 bf16) and activation id. Returns false for an unknown dtype. */
template <class Fn>
bool cubias_dispatch(int dtype, int act, Fn &&fn) {
  auto by_class = [&](auto dt) {
    switch (cubias_act_class(act)) {
      case CUBIAS_CLASS_NONE: fn(dt, cubias_class_c<CUBIAS_CLASS_NONE>{}); break;
      case CUBIAS_CLASS_LEAKY: fn(dt, cubias_class_c<CUBIAS_CLASS_LEAKY>{}); break;
      default: fn(dt, cubias_class_c<CUBIAS_CLASS_SMOOTH>{}); break;
    }
  };
  switch (dtype) {
    case 0: by_class(cubias_f32_t{}); return true;
    case 1: by_class(cubias_f16_t{}); return true;
    case 2: by_class(cubias_bf16_t{}); return true;
  }
  return false;
}

#endif /* CUBIAS_DISPATCH_H */
