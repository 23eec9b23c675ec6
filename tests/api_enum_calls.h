/* Every enum-typed argument and enum-typed struct field of include/cubias.h,
 * set from C to an arbitrary int (tests/api_enum_calls.c): a C caller may store
 * any int there, and the library must refuse what is not a value of the enum
 * without ever loading it as an enum (undefined in C++; the UBSan build traps). */
#ifndef CUBIAS_TEST_API_ENUM_CALLS_H
#define CUBIAS_TEST_API_ENUM_CALLS_H

#include "cubias.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Valid everything, on a CPU handle (host pointers): each case changes one enum. */
typedef struct api_enum_env {
  cubias_handle_t h;
  cubias_stats_t relu;     /* 4 channels, ReLU, with data (z below)  */
  cubias_stats_t tanh_s;   /* 4 channels, tanh, with data (z below)  */
  const float *z;          /* [8, 4] f32 pre-activations              */
  const float *w;          /* [4, 4] f32 weight                       */
  void *out;               /* 512 bytes the calls write (poisoned)   */
  double *w_out;           /* 1 double for cubias_weight_gain         */
  const int32_t *labels;   /* [8] in [0, 4)                           */
  const uint8_t *targets;  /* [8, 4] of 0/1                           */
  const double *probs;     /* [4] in (0, 1), summing to 1             */
  const cubias_gain_layer_report_t *report; /* one valid layer report */
  const cubias_gain_summary_t *summary;     /* its summary            */
} api_enum_env_t;

typedef struct api_enum_case {
  const char *call;   /* the public call                                     */
  const char *what;   /* the argument or field that gets the int             */
  int valid;          /* a value of the enum with which the call succeeds    */
  int n_values;       /* the enum's values are 0 .. n_values - 1             */
  int records_error;  /* 0: the call returns a string, not a status (the case
                         returns INVALID_VALUE when that string says unknown) */
  cubias_status_t (*run)(const api_enum_env_t *env, int value);
} api_enum_case_t;

extern const api_enum_case_t api_enum_cases[];
extern const int api_enum_case_count;

#ifdef __cplusplus
}
#endif

#endif /* CUBIAS_TEST_API_ENUM_CALLS_H */
