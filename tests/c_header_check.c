/* Compiles the public header as C99 and makes a few calls through it. */
#include <stdio.h>

#include "cubias.h"

int main(void) {
  int major = -1, minor = -1, patch = -1;
  cubias_handle_t h = NULL;
  if (cubias_get_version(&major, &minor, &patch) != CUBIAS_STATUS_SUCCESS) return 1;
  if (major != CUBIAS_VERSION_MAJOR || minor != CUBIAS_VERSION_MINOR || patch != CUBIAS_VERSION_PATCH)
    return 2;
  if (cubias_create(&h, CUBIAS_BACKEND_CPU) != CUBIAS_STATUS_SUCCESS) return 3;
  if (cubias_destroy(h) != CUBIAS_STATUS_SUCCESS) return 4;
  printf("cubias %d.%d.%d header compiles as C\n", major, minor, patch);
  return 0;
}
