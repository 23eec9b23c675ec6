// Kernel launch on the emulated device: what the library's one launch helper
// (cubias_launch in kernels' cuda_util.cuh) calls instead of <<<...>>>.
#ifndef CUBIAS_EMU_LAUNCH_H
#define CUBIAS_EMU_LAUNCH_H

#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "types.h"

namespace cubias_emu {

// A pointer argument of a launch, checked against the allocation registry.
struct PtrArg {
  int index;
  const void *p;
  bool readonly = false;  // a pointer to const: the kernel does not write through it
};

// Checks the configuration (limits as a device enforces them: the failure names
// the kernel), then runs body on every thread of every block, or records the
// launch when `stream` is capturing. `signature` is the launching function's
// __PRETTY_FUNCTION__, which names the kernel.
void launch(const char *signature, dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
            const PtrArg *ptrs, int nptrs, std::function<void()> body);

template <class T>
inline void note_ptr(PtrArg *out, int &n, int index, const T &v) {
  if constexpr (std::is_pointer<T>::value)
    out[n++] = PtrArg{index, (const void *)v, std::is_const<std::remove_pointer_t<T>>::value};
}

template <class... P, class... A>
inline void launch_kernel(void (*k)(P...), const char *signature, dim3 grid, dim3 block,
                          size_t smem, cudaStream_t stream, A &&...a) {
  static_assert(sizeof...(P) == sizeof...(A), "kernel argument count");
  std::tuple<std::decay_t<P>...> args(static_cast<std::decay_t<P>>(std::forward<A>(a))...);
  PtrArg ptrs[sizeof...(P) + 1];
  int n = 0;
  std::apply(
      [&](const auto &...v) {
        int i = 0;
        (note_ptr(ptrs, n, i++, v), ...);
      },
      args);
  launch(signature, grid, block, smem, stream, ptrs, n,
         [k, args]() { std::apply(k, args); });
}

}  // namespace cubias_emu

#endif
