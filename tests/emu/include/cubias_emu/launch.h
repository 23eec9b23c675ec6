// Kernel launch on the emulated device: what the library's one launch helper
// (cubias_launch in kernels' cuda_util.cuh) calls instead of <<<...>>>.
#ifndef CUBIAS_EMU_LAUNCH_H
#define CUBIAS_EMU_LAUNCH_H

#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "types.h"

namespace cubias_emu {

// A pointer argument of a launch, or a pointer inside a struct argument (in_struct),
// checked against the allocation registry.
struct PtrArg {
  int index;
  const void *p;
  bool in_struct = false;
  bool readonly = false;  // a pointer to const: the kernel does not write through it
};

// The device pointers a struct argument carries are checked at launch like
// pointer arguments. Every struct (class) argument type lists them with
//   void cubias_emu_pointers(const T &v, cubias_emu::PtrList &out)   (found by ADL)
// calling out.add(p) for each (an empty body when it holds none): a struct
// argument without one does not compile in the emulated build.
struct PtrList {
  std::vector<PtrArg> *out;
  int index;
  void add(const void *p) { out->push_back(PtrArg{index, p, true}); }
};

template <class T, class = void>
struct lists_pointers : std::false_type {};
template <class T>
struct lists_pointers<T, std::void_t<decltype(cubias_emu_pointers(std::declval<const T &>(),
                                                                  std::declval<PtrList &>()))>>
    : std::true_type {};

// Checks the configuration (limits as a device enforces them: the failure names
// the kernel), then runs body on every thread of every block, or records the
// launch when `stream` is capturing. `signature` is the launching function's
// __PRETTY_FUNCTION__, which names the kernel.
void launch(const char *signature, dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
            const PtrArg *ptrs, int nptrs, std::function<void()> body);

template <class T>
inline void note_ptr(std::vector<PtrArg> &out, int index, const T &v) {
  if constexpr (std::is_pointer<T>::value) {
    out.push_back(PtrArg{index, (const void *)v, false,
                           std::is_const<std::remove_pointer_t<T>>::value});
  } else if constexpr (std::is_class<T>::value) {
    static_assert(lists_pointers<T>::value,
                  "a struct kernel argument must list its device pointers: declare "
                  "cubias_emu_pointers(const T &, cubias_emu::PtrList &) (cubias_emu/launch.h)");
    PtrList l{&out, index};
    cubias_emu_pointers(v, l);
  }
}

template <class... P, class... A>
inline void launch_kernel(void (*k)(P...), const char *signature, dim3 grid, dim3 block,
                          size_t smem, cudaStream_t stream, A &&...a) {
  static_assert(sizeof...(P) == sizeof...(A), "kernel argument count");
  std::tuple<std::decay_t<P>...> args(static_cast<std::decay_t<P>>(std::forward<A>(a))...);
  std::vector<PtrArg> ptrs;
  std::apply(
      [&](const auto &...v) {
        int i = 0;
        (note_ptr(ptrs, i++, v), ...);
      },
      args);
  launch(signature, grid, block, smem, stream, ptrs.data(), (int)ptrs.size(),
         [k, args]() { std::apply(k, args); });
}

}  // namespace cubias_emu

#endif
