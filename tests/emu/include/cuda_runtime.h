// Emulated CUDA runtime (test-only; tests/emu/README.md): stands in for the real
// <cuda_runtime.h> when the CUDA backend is compiled by the host compiler for the
// emulated device. tests/emu/include is searched first in that build only.
#ifndef CUBIAS_EMU_CUDA_RUNTIME_H
#define CUBIAS_EMU_CUDA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "cubias_emu/types.h"
#include "cubias_emu/api.h"
#include "cubias_emu/device.h"
#include "cubias_emu/launch.h"

#endif
