// The CPU statistics engine built for the target's baseline instruction set; CMake sets the flags.
#define CUBIAS_ENGINE_NS cubias_engine_base
#define CUBIAS_ENGINE_NAME cubias_cpu_engine_base
#include "cpu_engine.inc"
