/* A consumer of the installed cubias: built against the installed package by
 * find_package(cubias) and by pkg-config (tests/consumer/run.sh). */
#include <cubias.h>
#include <stdio.h>

int main(void) {
  float x[6] = {1, 2, 3, 4, 5, 6};
  cubias_handle_t h;
  cubias_stats_t s;
  cubias_tensor_t v;
  cubias_channel_stats_t out[2];
  if (cubias_create(&h, CUBIAS_BACKEND_CPU) || cubias_stats_create(h, 2, CUBIAS_ACT_IDENTITY, 0, &s) ||
      cubias_tensor_rows(&v, x, CUBIAS_DTYPE_F32, 3, 2) || cubias_stats_accumulate(h, s, &v) ||
      cubias_stats_read(h, s, out))
    return 1;
  printf("consumer: cubias %d.%d.%d, channel means %g %g\n", CUBIAS_VERSION_MAJOR,
         CUBIAS_VERSION_MINOR, CUBIAS_VERSION_PATCH, out[0].mean, out[1].mean);
  cubias_stats_destroy(s);
  cubias_destroy(h);
  return out[0].mean == 3.0 && out[1].mean == 4.0 ? 0 : 2;
}
