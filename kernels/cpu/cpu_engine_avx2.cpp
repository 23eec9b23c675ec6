// The CPU statistics engine built for AVX2 (x86-64-v3); CMake sets the flags.
#ifdef CUBIAS_CPU_X86_ENGINES
#define CUBIAS_ENGINE_NS cubias_engine_avx2
#define CUBIAS_ENGINE_NAME cubias_cpu_engine_avx2
#include "cpu_engine.inc"
#endif
