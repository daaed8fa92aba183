/* kernels/detect.h — Detect's geometry (kernels/detect.c), for the code
 * that runs Detect another way and must lay its weights and levels out
 * exactly as the row does (harness/onednn_block.c). */
#ifndef ABLATE_DETECT_H
#define ABLATE_DETECT_H

#include "common.h"

#define DETECT_LEVELS_MAX 4
enum { DETECT_REG_MAX = 16 }; /* DFL bins per box side */

struct detect {
    int nc, nl, c2, c3, stride0; /* c2, c3: hidden widths of the box and class branches */
    int ch[DETECT_LEVELS_MAX];
    struct shape4 lv[DETECT_LEVELS_MAX]; /* each level's input shape */
    int64_t anchors;
    double eps;
};

/* The geometry at level 0's input shape `in`. */
struct detect detect_cfg(const struct args *a, struct shape4 in);
/* Args of level l's four Convs: box branch cv[0], cv[1]; class branch cv[2], cv[3]. */
void detect_level_convs(const struct detect *d, int l, struct args cv[4]);
/* Index of the first weight of branch br (0: cv2 box, 1: cv3 class), level l:
 * two Convs (6 pointers each), then the 1x1 conv's weight and bias; br = 2,
 * l = 0 is the DFL conv's weight (the bin values). */
int detect_weight_base(const struct detect *d, int br, int l);

#endif
