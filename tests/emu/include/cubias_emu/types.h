// Types of the emulated CUDA runtime: dim3, the vector types (with CUDA's
// alignment, so misaligned vector loads are caught), error codes, handles.
#ifndef CUBIAS_EMU_TYPES_H
#define CUBIAS_EMU_TYPES_H

#include <stddef.h>
#include <stdint.h>

struct uint3 {
  unsigned int x, y, z;
};
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1)
      : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

// Vector types with the alignment CUDA gives them.
#define CUBIAS_EMU_VEC2(name, T, A) struct alignas(A) name { T x, y; };
#define CUBIAS_EMU_VEC4(name, T, A) struct alignas(A) name { T x, y, z, w; };
CUBIAS_EMU_VEC2(char2, signed char, 2)
CUBIAS_EMU_VEC2(uchar2, unsigned char, 2)
CUBIAS_EMU_VEC4(char4, signed char, 4)
CUBIAS_EMU_VEC4(uchar4, unsigned char, 4)
CUBIAS_EMU_VEC2(short2, short, 4)
CUBIAS_EMU_VEC2(ushort2, unsigned short, 4)
CUBIAS_EMU_VEC4(short4, short, 8)
CUBIAS_EMU_VEC4(ushort4, unsigned short, 8)
CUBIAS_EMU_VEC2(int2, int, 8)
CUBIAS_EMU_VEC2(uint2, unsigned int, 8)
CUBIAS_EMU_VEC4(int4, int, 16)
CUBIAS_EMU_VEC4(uint4, unsigned int, 16)
CUBIAS_EMU_VEC2(float2, float, 8)
CUBIAS_EMU_VEC4(float4, float, 16)
CUBIAS_EMU_VEC2(double2, double, 16)
CUBIAS_EMU_VEC2(longlong2, long long, 16)
CUBIAS_EMU_VEC2(ulonglong2, unsigned long long, 16)
#undef CUBIAS_EMU_VEC2
#undef CUBIAS_EMU_VEC4

inline uint2 make_uint2(unsigned x, unsigned y) { return uint2{x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return uint4{x, y, z, w}; }
inline int2 make_int2(int x, int y) { return int2{x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline double2 make_double2(double x, double y) { return double2{x, y}; }

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorInsufficientDriver = 35,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchOutOfResources = 701,
  cudaErrorLaunchFailure = 719,
  cudaErrorMisalignedAddress = 716,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorStreamCaptureInvalidated = 901,
  cudaErrorStreamCaptureImplicit = 906,
  cudaErrorUnknown = 999,
};
typedef cudaError_t cudaError;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

enum cudaMemoryType {
  cudaMemoryTypeUnregistered = 0,
  cudaMemoryTypeHost = 1,
  cudaMemoryTypeDevice = 2,
  cudaMemoryTypeManaged = 3,
};

struct cudaPointerAttributes {
  enum cudaMemoryType type;
  int device;
  void *devicePointer;
  void *hostPointer;
};

enum cudaStreamCaptureMode {
  cudaStreamCaptureModeGlobal = 0,
  cudaStreamCaptureModeThreadLocal = 1,
  cudaStreamCaptureModeRelaxed = 2,
};
enum cudaStreamCaptureStatus {
  cudaStreamCaptureStatusNone = 0,
  cudaStreamCaptureStatusActive = 1,
  cudaStreamCaptureStatusInvalidated = 2,
};

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  size_t sharedMemPerBlockOptin;
  int regsPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  int major, minor;
  int multiProcessorCount;
  int maxThreadsPerMultiProcessor;
  int memoryBusWidth;
  size_t l2CacheSize;
  int pciBusID;
};

#define cudaStreamNonBlocking 0x01
#define cudaStreamDefault 0x00
#define cudaEventDefault 0x00
#define cudaEventDisableTiming 0x02

typedef struct CUstream_st *cudaStream_t;
typedef struct CUevent_st *cudaEvent_t;
typedef struct CUgraph_st *cudaGraph_t;
typedef struct CUgraphExec_st *cudaGraphExec_t;

#endif
