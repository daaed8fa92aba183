/* kernels/bottleneck.h — Bottleneck's args for the rows made of it (C2f). */
#ifndef ABLATE_BOTTLENECK_H
#define ABLATE_BOTTLENECK_H

#include "common.h"

/* Args of Bottleneck(c1, c2, shortcut, g, k=(k, k), e, bn_eps). */
void bottleneck_sub_args(struct args *a, int c1, int c2, int shortcut, int g, int k, double e,
                         double eps);

#endif
