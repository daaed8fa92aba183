/* harness/instance.h — one module configuration (op + arguments + input
 * shape) and its weights: parsed from `MODULE key=value ... h= w= batch=`,
 * initialised from the PRNG or loaded from a PyTorch state_dict export. */
#ifndef ABLATE_INSTANCE_H
#define ABLATE_INSTANCE_H

#include <stddef.h>

#include "ops.h"

struct st_file;
struct st_tensor;

struct instance {
    const struct op *op;
    struct args args;
    struct shape4 in, out;
};

/* argv = { MODULE, "k=v", ... }; h=, w=, batch= set the input shape
 * (channels come from the module's input-channel argument).  Validates
 * everything; err has one line naming what is wrong. */
int instance_parse(struct instance *m, int argc, char **argv, char *err, size_t errlen);
/* After args and in are set: module validation + out shape. */
int instance_finish(struct instance *m, char *err, size_t errlen);
/* "unknown module 'X' (known: Conv, AKConv)" or the op. */
const struct op *instance_find_op(const char *name, char *err, size_t errlen);
/* 0 if m's forward takes the one NCHW input `in` describes; -1 for the
 * heads fed by several maps (Detect, DetectV5: one per level), which run
 * only inside a model (`ablate model`): "Detect: takes one input per ...". */
int instance_runnable(const struct instance *m, char *err, size_t errlen);
/* Canonical descriptor without impl/threads: "akconv:inc=64:...:n1c64h80w80:o128". */
void instance_desc(const struct instance *m, char *buf, size_t len);

struct weightset {
    struct weight_list wl;
    float *ptr[WEIGHTS_MAX]; /* NULL for int64 entries */
    float *arena;
    int64_t total;
};

int weights_alloc(struct weightset *ws, const struct instance *m, char *err, size_t errlen);
void weights_free(struct weightset *ws);
void weights_init(struct weightset *ws, const struct instance *m, enum init_mode mode, uint64_t seed);
/* Tensor `key` of f checked against the weight d of `module`, as PyTorch's
 * load_state_dict accepts it: the same shape, or [1] for a 0-d tensor;
 * float32, or for the int64 counter (num_batches_tracked) I64 or I32, its
 * value ignored, and absent allowed (*out = NULL).  0, or -1 with
 * "PATH: tensor 'KEY' has shape [..], MODULE expects [..]" (or the dtype,
 * or "missing tensor"). */
int weight_find(const struct st_file *f, const struct weight_desc *d, const char *key,
                const char *path, const char *module, const struct st_tensor **out, char *err,
                size_t errlen);

/* Loads a state_dict export; every expected key must be there as
 * weight_find accepts it; tensors named `x`, `y` and `x0` to `x9` are
 * ignored (a golden file holds its input or a detection head's level
 * inputs, and its output, beside the weights); any other extra tensor is
 * an error. */
int weights_load(struct weightset *ws, const struct instance *m, const char *path, char *err,
                 size_t errlen);

#endif
