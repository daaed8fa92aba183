/* kernels/dlka.h — deformable_LKA_Attention's args for the rows made of it
 * (C3_DCNv3_DLKA). */
#ifndef ABLATE_DLKA_H
#define ABLATE_DLKA_H

#include "common.h"

/* Args of deformable_LKA_Attention(d_model) with variant 0 blog,
 * 1 official, 2 dcnv3_lka (the schema's enum order). */
void dlka_sub_args(struct args *a, int d_model, int variant);

#endif
