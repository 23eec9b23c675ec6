/* A weight view's geometry (host and device): its lines (rows for row-major,
 * columns for column-major), their length and the leading dimension in use. */
#ifndef CUBIAS_WEIGHT_VIEW_H
#define CUBIAS_WEIGHT_VIEW_H

#include <stdint.h>

#include "cubias.h"
#include "host_device.h"

CUBIAS_HD int cubias_weight_row_major(const cubias_weight_t *w) {
  return w->layout == CUBIAS_WEIGHT_ROW_MAJOR;
}
/* Lines of the view: out for row-major, in for column-major. */
CUBIAS_HD int64_t cubias_weight_lines(const cubias_weight_t *w) {
  return cubias_weight_row_major(w) ? w->out : w->in;
}
/* Length of one line: in for row-major, out for column-major. */
CUBIAS_HD int64_t cubias_weight_line_len(const cubias_weight_t *w) {
  return cubias_weight_row_major(w) ? w->in : w->out;
}
/* The leading dimension in use: ld, or the line length when ld = 0 (packed). */
CUBIAS_HD int64_t cubias_weight_ld(const cubias_weight_t *w) {
  return w->ld ? w->ld : cubias_weight_line_len(w);
}

#endif /* CUBIAS_WEIGHT_VIEW_H */
