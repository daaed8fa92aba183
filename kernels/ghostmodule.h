/* kernels/ghostmodule.h — GhostModule's args for the rows made of it
 * (C2f_GhostModule_DynamicConv). */
#ifndef ABLATE_GHOSTMODULE_H
#define ABLATE_GHOSTMODULE_H

#include "common.h"

/* Args of GhostModule(inp, oup) with every other argument at its default
 * (kernel_size 1, ratio 2, dw_size 3, stride 1, ReLU, 4 experts) and the
 * given BatchNorm eps: what C2f_GhostModule_DynamicConv builds (5.6 item 3). */
void ghostmodule_sub_args(struct args *a, int inp, int oup, double eps);

#endif
