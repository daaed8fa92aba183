/* kernels/ops.h — the op table: one row per benchmarked module.
 *
 * A row says everything the harness needs to know about a module without
 * knowing the module: its argument schema, how to validate a configuration,
 * how to count params/FLOPs/bytes, which weights it has (PyTorch state_dict
 * keys and shapes), how to initialise them and how to run the scalar
 * reference forward (the oracle every faster implementation is checked
 * against).  Adding a module = one file in kernels/ + one generator in gen/
 * + one line in OP_LIST below.  Semantics: ../shared/MODULES.md.
 */
#ifndef ABLATE_OPS_H
#define ABLATE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define ARGS_MAX 16     /* arguments per module */
#define WEIGHTS_MAX 256 /* state_dict tensors per module (Detect: 85; C3_DCNv3_DLKA blog: n <= 5) */
#define KEY_MAX 96      /* longest state_dict key */
#define ERR_MAX 512     /* longest error message */

enum arg_type { ARG_INT, ARG_BOOL, ARG_FLOAT, ARG_ENUM };

/* One constructor argument, named as in the PyTorch constructor. */
struct arg_spec {
    const char *name;
    enum arg_type type;
    const char *def;     /* default as text; NULL = required */
    const char *choices; /* ARG_ENUM: "ij|xy" (first = index 0); ARG_INT: optional
                          * named values "''|same|valid" stored as -1, -2, ...
                          * (an int argument must then be >= 0) */
    const char *help;
};

/* Parsed argument values, indexed like the op's schema.  Integers, bools
 * and enum indices are stored as exact integers in `v`. */
struct args {
    const struct op *op;
    int n;
    double v[ARGS_MAX];
};

/* NCHW activation shape. */
struct shape4 {
    int n, c, h, w;
};

/* One state_dict tensor: key as PyTorch names it, float32 unless is_int64
 * (num_batches_tracked, which loaders accept and ignore). */
struct weight_desc {
    char key[KEY_MAX];
    int ndim;
    int64_t shape[5]; /* 5 for DYConv2d's (K, out, in/g, k, k) experts */
    int is_int64;
};

struct weight_list {
    int n;
    struct weight_desc w[WEIGHTS_MAX];
};

enum init_mode { INIT_PAPER, INIT_RANDOM };

/* ---- Use inside a model YAML (MODULES.md 2.1; harness/model.c) ----
 *
 * How parse_model turns a YAML layer [from, n, Module, args] into this
 * row's arguments.  c1 = ch[f] (the input channels), c2' =
 * make_divisible(min(c2, max_channels) * width, 8) unless c2 == nc. */
enum yaml_branch {
    YAML_STD,     /* args [c2, a1, a2, ...] -> arg_cin = c1, arg_cout = c2', then a1, a2 fill
                   * `positional` in order; n' > 1 builds n' copies in an nn.Sequential */
    YAML_STD_N,   /* as YAML_STD, and n' goes into the argument named "n" (CSP blocks:
                   * C2f, C3, ...); built once */
    YAML_SAME,    /* channels kept: arg_cin (and arg_cout when set) = c1; every YAML arg
                   * fills `positional` in order; output channels c1 */
    YAML_IGNORE,  /* as YAML_SAME, but the YAML args are ignored (ACmix: [ch[f], ch[f]]) */
    YAML_DETECT,  /* [nc] -> the Detect row of kernels/detect.c: several inputs */
};

struct yaml_map {
    enum yaml_branch branch;
    const char *positional; /* "k|s|p|g|d|act": argument names the YAML args fill, in order
                             * (NULL: none accepted) */
    const char *torch_type; /* the class path ultralytics' layer table prints,
                             * "ultralytics.nn.modules.conv.Conv" */
    /* optional: rules a plain positional mapping cannot say (DYConv2d: padding =
     * kernel_size // 2); 0 or -1 with a message "Module: ..." */
    int (*finish)(struct args *a, char *err, size_t errlen);
};

/* What model.info() and model.fuse() see of one module instance, added
 * (+=) into the caller's struct so composed rows just call their parts'
 * `model_counts` (see conv_model_counts in common.h). */
struct model_counts {
    int64_t modules;     /* len(list(m.modules())): the module itself and every submodule,
                          * each object once, WITHOUT the nn.SiLU all ultralytics Convs share */
    int64_t leaves;      /* of those, modules without children */
    int shared_act;      /* 1: contains an ultralytics Conv with act=True (Conv.default_act,
                          * one object per model: the model counts it once) */
    int seed004_act;     /* 1: contains Convs of seed 004's own pasted Conv class, whose
                          * class-level nn.SiLU is a second shared object; YOLOv5's build
                          * (MODULES.md 2.3, 335 layers) counts it, the ultralytics
                          * v8-Detect builds of that table do not */
    int64_t buffers;     /* non-parameter state floats (BN running_mean + running_var) */
    int64_t frozen;      /* params with requires_grad=False (Detect's DFL conv: 16) */
    int64_t fuse_convs;  /* ultralytics Conv+BN pairs BaseModel.fuse() folds (each drops
                          * its BN module) */
    int64_t fuse_params; /* params fuse() removes: per fold, BN weight+bias (2 c2) become a
                          * conv bias (c2), so c2 */
    int64_t fuse_frozen; /* params of the fused convs (weight + new bias): created with
                          * requires_grad_(False) by fuse_conv_and_bn */
    int64_t fuse_thop;   /* flops_thop those BNs had at the given input (2 x 4 x numel) */
};

/* The row.  Every function receives args already parsed and range-checked
 * against the schema; `validate` adds the module's own rules. */
struct op {
    const char *name;    /* PyTorch class name (matched case-insensitively) */
    const char *aliases; /* "|"-separated other names, or NULL */
    const struct arg_spec *schema; /* terminated by an entry with name NULL */
    /* which arguments a sweep's shape rows fill in (NULL if none) */
    const char *arg_cin, *arg_cout, *arg_stride;
    const char *gen;          /* generator in gen/<gen>.lua */
    double tol_nmse;          /* parity tolerance vs the reference ... */
    const char *tol_reason;   /* ... and why it is that */

    /* 0 = ok; else writes one clear message "Module: ..." into err */
    int (*validate)(const struct args *a, struct shape4 in, char *err, size_t errlen);
    struct shape4 (*out_shape)(const struct args *a, struct shape4 in);
    int64_t (*params)(const struct args *a);
    int64_t (*flops_thop)(const struct args *a, struct shape4 in); /* 2 x thop MACs */
    int64_t (*flops_full)(const struct args *a, struct shape4 in); /* MODULES.md 1.2 */
    int64_t (*bytes)(const struct args *a, struct shape4 in);      /* MODULES.md 1.3 */
    void (*weights)(const struct args *a, struct weight_list *wl);
    /* w[i] points at weight i of `weights` (int64 entries: NULL) */
    void (*init)(const struct args *a, enum init_mode mode, struct rng *r, float *const *w);
    void (*forward_ref)(const struct args *a, struct shape4 in, const float *const *w,
                        const float *x, float *y);

    /* Model YAML use (MODULES.md 2.1); NULL yaml = not usable in a model.
     * model_counts adds this module's counts at input `in` into *mc. */
    const struct yaml_map *yaml;
    void (*model_counts)(const struct args *a, struct shape4 in, struct model_counts *mc);
};

/* The table.  X(symbol) for every module, in display order. */
#define OP_LIST(X) \
    X(op_conv)     \
    X(op_akconv)   \
    X(op_acmix)    \
    X(op_dyconv)   \
    X(op_dynamicconv) \
    X(op_ghostmodule) \
    X(op_c2f_ghost)   \
    X(op_dcnv3)       \
    X(op_bottleneck)  \
    X(op_c2f)         \
    X(op_c3)          \
    X(op_dlka)        \
    X(op_c3_dlka)     \
    X(op_sppf)        \
    X(op_detect)      \
    X(op_detect_v5)

#define OP_DECLARE(sym) extern const struct op sym;
OP_LIST(OP_DECLARE)
#undef OP_DECLARE

enum { OP_COUNT_EXPECTED = 16 }; /* bump together with OP_LIST */

extern const struct op *const op_table[];
extern const int op_count;

/* Lookup by name or alias, case-insensitive; NULL if unknown. */
const struct op *op_find(const char *name);

/* Schema helpers (kernels/args.c). */
int arg_index(const struct op *op, const char *name);       /* -1 if absent */
double arg_get(const struct args *a, const char *name);     /* aborts if absent: a programming error */
int arg_geti(const struct args *a, const char *name);
/* Fill every argument with its default; required ones are left NaN. */
void args_defaults(const struct op *op, struct args *a);
/* Parse "key=value" into a; err gets "Module: unknown argument 'k' (known: ...)" etc. */
int args_set(struct args *a, const char *key, const char *value, char *err, size_t errlen);
/* After all args_set: every required argument present? */
int args_complete(const struct args *a, char *err, size_t errlen);
/* Canonical text "inc=64:outc=128:num_param=5:stride=2:grid=ij" (every argument, schema order). */
void args_format(const struct args *a, char *buf, size_t len);
/* Value of argument i as text, e.g. "ij", "5", "0.001". */
void arg_value_text(const struct args *a, int i, char *buf, size_t len);

/* Total float count of a weight list (int64 entries excluded). */
int64_t weights_total_floats(const struct weight_list *wl);
int64_t weight_numel(const struct weight_desc *d);

#endif
