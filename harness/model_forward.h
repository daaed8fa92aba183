/* harness/model_forward.h — the whole model's reference forward. */
#ifndef ABLATE_MODEL_FORWARD_H
#define ABLATE_MODEL_FORWARD_H

#include "model.h"
#include "safetensors.h"

struct model_input {
    const struct st_file *weights; /* a PyTorch state_dict: model.{i}.* keys */
    const char *weights_path;      /* for messages */
    const float *image;            /* 1 x 3 x size x size */
    int size;
};

/* y: malloc'ed output of the last layer (Detect: 1 x (4 + nc) x A, stored as
 * {1, 4 + nc, 1, A}).  0, or -1 with one line in err (a missing or
 * mis-shaped weight names its key). */
int model_forward_ref(const struct model *m, const struct model_input *mi, float **y,
                      struct shape4 *y_shape, char *err, size_t errlen);

#endif
