/* harness/gen_cc.c — compile, cache and load generated kernels (gen_cc.h).
 *
 * External tools (cc, pkg-config) run with fork/execvp and argv arrays,
 * never through a shell: paths and flags are passed as they are.  Files in
 * BUILD/gen are written under per-process temporary names and renamed into
 * place, so two processes building the same kernel at once both end up
 * with complete files (rename is atomic within a file system).
 */
#include "gen_cc.h"
#include "tool_run.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORDS_MAX 24
#define TOOL_OUT_MAX 1024
#define OPENBLAS_CFLAGS_FALLBACK "-I/usr/include/x86_64-linux-gnu/openblas-pthread"
/* A C kernel's log starts "ablate: built at -O3" (its level; the compiler's
 * output follows): what a test or a person reads to tell the builds apart. */
#define LOG_HEAD "ablate: built at "

/* The compiler command, its identity and OpenBLAS's flags. */
struct toolchain {
    char cc_buf[sizeof ((struct gen_env *)0)->cc];
    char *cc[WORDS_MAX];
    int ncc;
    char id[TOOL_OUT_MAX];       /* first line of `cc --version` */
    char cflags_buf[TOOL_OUT_MAX];
    char *cflags[WORDS_MAX];
    int ncflags;
    char libs_buf[TOOL_OUT_MAX];
    char *libs[WORDS_MAX];
    int nlibs;
    char runtime_inc[GEN_PATH_MAX + 16]; /* -IROOT/gen/runtime */
    char march[80];                      /* -march=native, or ABLATE_GEN_MARCH's */
    char full_rate[32];                  /* -DABL_AVX512_FULL_RATE=0|1 (env->fma) */
};

/* `pkg-config FLAG openblas`, or fallback when pkg-config cannot say. */
static int pkg_words(const char *flag, const char *fallback, char *buf, size_t len, char **words)
{
    char *argv[] = {"pkg-config", (char *)flag, "openblas", NULL};
    if (tool_run_capture(argv, buf, len) != 0 || !strpbrk(buf, "-"))
        snprintf(buf, len, "%s", fallback);
    return tool_split_words(buf, words, WORDS_MAX);
}

static int toolchain_init(const struct gen_env *env, struct toolchain *tc, char *err, size_t errlen)
{
    memset(tc, 0, sizeof *tc);
    if (env->opt_level < 1 || env->opt_level > 3) {
        snprintf(err, errlen, "no optimisation level for the kernels (-O%d)", env->opt_level);
        return -1;
    }
    snprintf(tc->cc_buf, sizeof tc->cc_buf, "%s", env->cc);
    tc->ncc = tool_split_words(tc->cc_buf, tc->cc, WORDS_MAX - 2);
    if (tc->ncc == 0) {
        snprintf(err, errlen, "no C compiler configured (CC is empty)");
        return -1;
    }
    char *argv[WORDS_MAX];
    memcpy(argv, tc->cc, (size_t)tc->ncc * sizeof *argv);
    argv[tc->ncc] = "--version";
    argv[tc->ncc + 1] = NULL;
    if (tool_run_capture(argv, tc->id, sizeof tc->id) != 0) {
        snprintf(err, errlen, "cannot run the C compiler '%s' (set CC)", env->cc);
        return -1;
    }
    tc->id[strcspn(tc->id, "\n")] = 0;
    tc->ncflags = pkg_words("--cflags", OPENBLAS_CFLAGS_FALLBACK, tc->cflags_buf,
                            sizeof tc->cflags_buf, tc->cflags);
    /* the measured zmm FMA rate picks the kernels' 16- or 8-lane paths
     * (ablate_gen.h); a word of the compile line, so of the cache key */
    if (env->fma.rate != FMA512_NONE && tc->ncflags < WORDS_MAX) {
        snprintf(tc->full_rate, sizeof tc->full_rate, "-DABL_AVX512_FULL_RATE=%d",
                 env->fma.rate == FMA512_FULL);
        tc->cflags[tc->ncflags++] = tc->full_rate;
    }
    tc->nlibs = pkg_words("--libs", "-lopenblas", tc->libs_buf, sizeof tc->libs_buf, tc->libs);
    snprintf(tc->runtime_inc, sizeof tc->runtime_inc, "-I%s/gen/runtime", env->root);
    /* ABLATE_GEN_MARCH=x86-64-v3 builds the kernels for an AVX2-only CPU on
     * an AVX-512 one: the way to run the generated AVX2 paths here (the
     * cache key holds the flag, so the two builds do not mix). */
    const char *march = getenv("ABLATE_GEN_MARCH");
    snprintf(tc->march, sizeof tc->march, "-march=%s", march && *march ? march : "native");
    return 0;
}

/* Compile flags (between the compiler and the paths); the NULL slots are
 * the -O level (a sweep's -O3, or a correctness check's cheaper level, gen.h
 * gen_env_check_opt) and -march (toolchain.march).  Both are words of the
 * cache key. */
static const char *const CC_FLAGS[] = {NULL, NULL, "-fopenmp", "-fPIC", "-shared"};
enum { CC_NFLAGS = sizeof CC_FLAGS / sizeof CC_FLAGS[0], CC_SLOT_OPT = 0 };

/* argv of `cc FLAGS -IRUNTIME CFLAGS -o so src LIBS -lm` (opt: "-O3"); returns its length. */
static int compile_argv(const struct toolchain *tc, const char *opt, const char *so,
                        const char *src, char **argv, int max)
{
    int n = 0;
    for (int i = 0; i < tc->ncc && n < max; i++)
        argv[n++] = (char *)tc->cc[i];
    for (int i = 0; i < CC_NFLAGS && n < max; i++)
        argv[n++] = (char *)(CC_FLAGS[i] ? CC_FLAGS[i] : i == CC_SLOT_OPT ? opt : tc->march);
    if (n < max)
        argv[n++] = (char *)tc->runtime_inc;
    for (int i = 0; i < tc->ncflags && n < max; i++)
        argv[n++] = tc->cflags[i];
    char *tail[] = {"-o", (char *)so, (char *)src};
    for (int i = 0; i < 3 && n < max; i++)
        argv[n++] = tail[i];
    for (int i = 0; i < tc->nlibs && n < max; i++)
        argv[n++] = tc->libs[i];
    if (n < max)
        argv[n++] = "-lm";
    argv[n < max ? n : max - 1] = NULL;
    return n;
}

/* ------------------------------------------------------------ cache */

/* 64-bit FNV-1a, fed piece by piece; each piece ends with its NUL so
 * ("ab", "c") and ("a", "bc") hash differently. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
    do {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    } while (*s++);
    return h;
}

/* Feeds the CPU model and feature flags into h: kernels are built with
 * -march=native, so a build folder shared between different machines (a
 * cluster's network file system) must not hand one CPU's .so to another. */
static uint64_t hash_cpu(uint64_t h)
{
    char line[4096];
    int seen = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && seen < 2 && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "flags", 5) == 0) {
            h = fnv1a(h, line);
            seen++;
        }
    if (f)
        fclose(f);
    return h;
}

/* Feeds the headers in ROOT/gen/runtime (name order) into h: generated
 * sources include them, so a changed helper must not hit a stale .so. */
static uint64_t hash_runtime(const struct gen_env *env, uint64_t h)
{
    char dir[GEN_PATH_MAX + 16], path[GEN_PATH_MAX + 300], buf[4096];
    struct dirent **names = NULL;
    snprintf(dir, sizeof dir, "%s/gen/runtime", env->root);
    int n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        FILE *f = NULL;
        if (len > 2 && strcmp(names[i]->d_name + len - 2, ".h") == 0 &&
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < (int)sizeof path)
            f = fopen(path, "r");
        h = f ? fnv1a(h, names[i]->d_name) : h;
        size_t got;
        while (f && (got = fread(buf, 1, sizeof buf - 1, f)) > 0) {
            buf[got] = 0;
            h = fnv1a(h, buf);
        }
        if (f)
            fclose(f);
        free(names[i]);
    }
    free(names);
    return h;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* path relative to the repository root when it lies inside it. */
static const char *shown(const struct gen_env *env, const char *path)
{
    size_t n = strlen(env->root);
    return strncmp(path, env->root, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

/* Writes text to path via a temporary file and rename. */
static int write_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[GEN_PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    size_t len = strlen(text);
    int ok = f && fwrite(text, 1, len, f) == len;
    ok = (f && fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static int make_dir(const char *path)
{
    return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* The first line of the compiler log that says "error" (else the first
 * line), without the leading source path: "12:5: error: ...".  The log's
 * own head (LOG_HEAD) is not the compiler's. */
static void first_error(const char *log_path, const char *src_path, char *out, size_t len)
{
    char line[1024], first[1024] = "";
    FILE *f = fopen(log_path, "r");
    out[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, LOG_HEAD, strlen(LOG_HEAD)) == 0)
            continue;
        if (!first[0])
            snprintf(first, sizeof first, "%s", line);
        if (strstr(line, "error")) {
            snprintf(first, sizeof first, "%s", line);
            break;
        }
    }
    if (f)
        fclose(f);
    size_t n = strlen(src_path);
    const char *msg = strncmp(first, src_path, n) == 0 && first[n] == ':' ? first + n + 1 : first;
    snprintf(out, len, "%s", msg[0] ? msg : "(no compiler output)");
}

/* Paths of one kernel in the cache. */
struct cache_paths {
    char src[GEN_PATH_MAX], so[GEN_PATH_MAX], log[GEN_PATH_MAX];
    char tmp_so[GEN_PATH_MAX + 32], tmp_log[GEN_PATH_MAX + 32];
};

/* PRE... -o tmp.so src POST...; renames the results into place. */
static enum gen_status compile(const struct gen_env *env, const struct gen_recipe *r,
                               const struct cache_paths *cp, char *err, size_t errlen)
{
    char *argv[4 * WORDS_MAX + 16];
    int n = 0, max = (int)(sizeof argv / sizeof argv[0]) - 4;
    for (int i = 0; i < r->npre && n < max; i++)
        argv[n++] = r->pre[i];
    argv[n++] = "-o";
    argv[n++] = (char *)cp->tmp_so;
    argv[n++] = (char *)cp->src;
    for (int i = 0; i < r->npost && n < max; i++)
        argv[n++] = r->post[i];
    argv[n] = NULL;
    int fd = open(cp->tmp_log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", cp->tmp_log, strerror(errno));
        return GEN_ERR_COMPILE;
    }
    size_t head = r->log_head ? strlen(r->log_head) : 0;
    int rc = head && write(fd, r->log_head, head) != (ssize_t)head ? -1 : tool_run_to_fd(argv, fd);
    close(fd);
    if (rename(cp->tmp_log, cp->log) != 0)
        remove(cp->tmp_log);
    if (rc == 0 && rename(cp->tmp_so, cp->so) == 0)
        return GEN_OK;
    remove(cp->tmp_so);
    char msg[512];
    first_error(cp->log, cp->src, msg, sizeof msg);
    snprintf(err, errlen, "compile error in %s: %s", shown(env, cp->src), msg);
    return GEN_ERR_COMPILE;
}

static enum gen_status load(const struct gen_env *env, struct gen_kernel *k, char *err,
                            size_t errlen)
{
    /* RTLD_NODELETE: a kernel may be the first user of the OpenMP runtime
     * in this process; unmapping it (and with it libgomp) on dlclose would
     * pull the code from under the runtime's idle worker threads. */
    k->dl = dlopen(k->so_path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!k->dl) {
        snprintf(err, errlen, "cannot load %s: %s", shown(env, k->so_path), dlerror());
        return GEN_ERR_LOAD;
    }
    void *info_sym = dlsym(k->dl, "ablate_kernel_info");
    void *forward_sym = dlsym(k->dl, "ablate_kernel_forward");
    ablate_kernel_info_fn info_fn = NULL;
    /* POSIX: dlsym's data pointer converts to a function pointer */
    memcpy(&info_fn, &info_sym, sizeof info_fn);
    memcpy(&k->forward, &forward_sym, sizeof k->forward);
    k->info = info_fn ? info_fn() : NULL;
    void *prepare_sym = dlsym(k->dl, "ablate_kernel_prepare");
    void *prepared_sym = dlsym(k->dl, "ablate_kernel_forward_prepared");
    if (k->info && k->info->prepared_floats > 0 && prepare_sym && prepared_sym) { /* optional */
        memcpy(&k->prepare, &prepare_sym, sizeof k->prepare);
        memcpy(&k->forward_prepared, &prepared_sym, sizeof k->forward_prepared);
    }
    if (!k->info || !k->forward) {
        snprintf(err, errlen, "%s does not export ablate_kernel_info and ablate_kernel_forward",
                 shown(env, k->so_path));
        return GEN_ERR_LOAD;
    }
    if (k->info->abi != ABLATE_KERNEL_ABI) {
        snprintf(err, errlen, "%s has kernel ABI %d, expected %d", shown(env, k->so_path),
                 k->info->abi, ABLATE_KERNEL_ABI);
        return GEN_ERR_LOAD;
    }
    return GEN_OK;
}

/* ------------------------------------------------------------ precompiled header
 *
 * The system headers the generated C kernels include, parsed once per
 * compiler, flags and CPU into a precompiled header that every kernel build
 * force-includes (-include).  <immintrin.h> alone is ~0.14 of the ~0.7 CPU-s
 * of a typical kernel build at -march=native; the PCH cuts a kernel build by
 * ~20 % and leaves its machine code byte for byte the same.  All of these
 * headers have include guards, so a kernel's own #include lines stay valid
 * (and needed: the kernel source is the same text with or without the PCH).
 * The compiler checks that the .gch matches the build's flags and silently
 * parses the header text where it does not (-Winvalid-pch says so in the
 * kernel's log); where the .gch cannot be built at all, kernels are built
 * without -include. */
static const char PCH_TEXT[] = "/* do not edit: written by ablate (harness/gen_cc.c) */\n"
                               "#include <immintrin.h>\n#include <math.h>\n#include <stddef.h>\n"
                               "#include <stdint.h>\n#include <string.h>\n#include <cblas.h>\n"
                               "#include <omp.h>\n";

/* BUILD/gen/pch-HASH/ablate_sys.h into path and its .gch into gch; HASH
 * covers the text, the compiler's identity, pre (the kernel's compiler and
 * flags) and the CPU.  0, or -1 when the paths do not fit. */
static int pch_locate(const struct gen_env *env, const char *text, char *const *pre, int npre,
                      const char *id, char *path, size_t len, char *gch, size_t gchlen)
{
    uint64_t h = fnv1a(fnv1a(0xcbf29ce484222325ULL, text), id);
    for (int i = 0; i < npre; i++)
        h = fnv1a(h, pre[i]);
    h = hash_cpu(h);
    return snprintf(path, len, "%s/gen/pch-%016llx/ablate_sys.h", env->build,
                    (unsigned long long)h) < (int)len &&
                   snprintf(gch, gchlen, "%s.gch", path) < (int)gchlen
               ? 0
               : -1;
}

/* The .gch of path (pch_locate) built by pre (less any -x LANG: the header
 * is compiled as lang) unless there.  0, or -1: build without it. */
static int pch_build(const struct gen_env *env, const char *text, const char *lang,
                     char *const *pre, int npre, const char *path, const char *gch)
{
    char gen[GEN_PATH_MAX + 8], dir[GEN_PATH_MAX + 64], tmp[GEN_PATH_MAX + 96], err[256];
    if (access(gch, R_OK) == 0)
        return 0;
    snprintf(gen, sizeof gen, "%s/gen", env->build);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", gch, (long)getpid()) >= (int)sizeof tmp ||
        make_dir(env->build) != 0 || make_dir(gen) != 0 || make_dir(dir) != 0 ||
        write_atomic(path, text, err, sizeof err) != 0)
        return -1;
    char *argv[3 * WORDS_MAX + 16];
    int n = 0;
    for (int i = 0; i < npre && n < (int)(sizeof argv / sizeof argv[0]) - 6; i++) {
        /* g++ given -x c++ before -x c++-header wrote a linked object, not a PCH */
        if (strcmp(pre[i], "-x") == 0 && i + 1 < npre) {
            i++;
            continue;
        }
        argv[n++] = pre[i];
    }
    char *tail[] = {"-x", (char *)lang, "-o", tmp, (char *)path, NULL};
    memcpy(argv + n, tail, sizeof tail);
    int fd = open("/dev/null", O_WRONLY);
    int rc = fd < 0 ? -1 : tool_run_to_fd(argv, fd);
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(tmp, gch) == 0)
        return 0;
    remove(tmp);
    return -1;
}

/* gen_pch_include; build 0 only looks: the PCH is used where its .gch is
 * already there (a lookup of a kernel built before, which was built with
 * it exactly when it was there). */
static void pch_include(const struct gen_env *env, const char *text, const char *lang,
                        const char *id, char **pre, int *npre, int max, char *path, size_t len,
                        int build)
{
    char gch[GEN_PATH_MAX + 80];
    if (*npre + 3 > max || pch_locate(env, text, pre, *npre, id, path, len, gch, sizeof gch) != 0)
        return;
    if (build ? pch_build(env, text, lang, pre, *npre, path, gch) != 0 : access(gch, R_OK) != 0)
        return;
    /* -Winvalid-pch: a .gch the compiler passes over says so in the kernel's log */
    pre[(*npre)++] = "-Winvalid-pch";
    pre[(*npre)++] = "-include";
    pre[(*npre)++] = path;
}

void gen_pch_include(const struct gen_env *env, const char *text, const char *lang, const char *id,
                     char **pre, int *npre, int max, char *path, size_t len)
{
    pch_include(env, text, lang, id, pre, npre, max, path, len, 1);
}

/* The C compiler's recipe at one -O level: cc -OLEVEL FLAGS -IRUNTIME
 * CFLAGS [-include PCH] -o SO SRC LIBS -lm.  r points into the struct. */
struct c_recipe {
    char opt[8];       /* "-O3" */
    char log_head[32]; /* the kernel log's first line: "ablate: built at -O3" */
    char *argv[3 * WORDS_MAX + 16], *pre[3 * WORDS_MAX + 20];
    char pch[GEN_PATH_MAX + 64];
    struct gen_recipe r;
};

/* build_pch 0: only to look a kernel up (pch_include). */
static void c_recipe_init(const struct gen_env *env, const struct toolchain *tc, int level,
                          int build_pch, struct c_recipe *cr)
{
    snprintf(cr->opt, sizeof cr->opt, "-O%d", level);
    snprintf(cr->log_head, sizeof cr->log_head, "%s%s\n", LOG_HEAD, cr->opt);
    int max = (int)(sizeof cr->argv / sizeof cr->argv[0]);
    int argc = compile_argv(tc, cr->opt, "", "", cr->argv, max);
    /* argv = cc FLAGS -I CFLAGS -o "" "" LIBS -lm: split around the three-word tail */
    int npre = tc->ncc + CC_NFLAGS + 1 + tc->ncflags, post = npre + 3;
    memcpy(cr->pre, cr->argv, (size_t)npre * sizeof *cr->pre);
    pch_include(env, PCH_TEXT, "c-header", tc->id, cr->pre, &npre,
                (int)(sizeof cr->pre / sizeof cr->pre[0]), cr->pch, sizeof cr->pch, build_pch);
    cr->r = (struct gen_recipe){.ext = "c",
                                .pre = cr->pre,
                                .npre = npre,
                                .post = cr->argv + post,
                                .npost = argc - post,
                                .id = tc->id,
                                .hash_cpu = 1,
                                .load = 1,
                                .log_head = cr->log_head};
}

/* The cache key of src built by r (gen_cc.h) and its paths in
 * BUILD/gen (a lookup creates nothing: make_cache_dir before a build). */
static enum gen_status cache_locate(const struct gen_env *env, const char *src,
                                    const struct gen_recipe *r, struct cache_paths *cp, char *err,
                                    size_t errlen)
{
    uint64_t h = fnv1a(fnv1a(0xcbf29ce484222325ULL, src), r->id);
    for (int i = 0; i < r->npre; i++)
        h = fnv1a(h, r->pre[i]);
    for (int i = 0; i < r->npost; i++)
        h = fnv1a(h, r->post[i]);
    h = hash_runtime(env, h);
    if (r->hash_cpu)
        h = hash_cpu(h);

    char dir[GEN_PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/gen", env->build);
    unsigned long long hh = (unsigned long long)h;
    long pid = (long)getpid();
    if (snprintf(cp->src, sizeof cp->src, "%s/%016llx.%s", dir, hh, r->ext) >=
            (int)sizeof cp->src ||
        snprintf(cp->so, sizeof cp->so, "%s/%016llx.so", dir, hh) >= (int)sizeof cp->so ||
        snprintf(cp->log, sizeof cp->log, "%s/%016llx.log", dir, hh) >= (int)sizeof cp->log ||
        snprintf(cp->tmp_so, sizeof cp->tmp_so, "%s.%ld.tmp", cp->so, pid) >=
            (int)sizeof cp->tmp_so ||
        snprintf(cp->tmp_log, sizeof cp->tmp_log, "%s.%ld.tmp", cp->log, pid) >=
            (int)sizeof cp->tmp_log) {
        snprintf(err, errlen, "build folder path too long: %s", dir);
        return GEN_ERR_COMPILE;
    }
    return GEN_OK;
}

/* BUILD/gen, where the kernels are cached, created if missing. */
static enum gen_status make_cache_dir(const struct gen_env *env, char *err, size_t errlen)
{
    char dir[GEN_PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/gen", env->build);
    if (make_dir(env->build) != 0 || make_dir(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return GEN_ERR_COMPILE;
    }
    return GEN_OK;
}

/* 1 if src's kernel at -Olevel is in the cache (its .so there). */
static int cached_at(const struct gen_env *env, const struct toolchain *tc, const char *src,
                     int level, struct c_recipe *cr)
{
    struct cache_paths cp;
    char err[ERR_MAX];
    c_recipe_init(env, tc, level, 0, cr);
    return cache_locate(env, src, &cr->r, &cp, err, sizeof err) == GEN_OK &&
           access(cp.so, R_OK) == 0;
}

/* The C kernel at env->opt_level, or at a higher level already in the
 * cache: a correctness check (gen_env_check_opt: -O1 in `make test`) takes
 * the -O3 kernel a golden, sweep or timing test built before it (the same
 * source and flags but the -O word; an -O3 kernel checks correctness as
 * well), looked up from -O3 down, and builds at its own level only where
 * none is there.  A request never takes a lower level than its own, so a
 * sweep's (-O3) kernels are always -O3.  k->log_path names the level. */
enum gen_status gen_compile_load(const struct gen_env *env, const char *src, struct gen_kernel *k,
                                 char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    struct toolchain tc;
    if (toolchain_init(env, &tc, err, errlen) != 0)
        return GEN_ERR_COMPILE;
    struct c_recipe cr;
    for (int level = 3; level > env->opt_level; level--)
        if (cached_at(env, &tc, src, level, &cr))
            return gen_cache_build(env, src, &cr.r, k, err, errlen);
    c_recipe_init(env, &tc, env->opt_level, 1, &cr);
    return gen_cache_build(env, src, &cr.r, k, err, errlen);
}

enum gen_status gen_cache_build(const struct gen_env *env, const char *src,
                                const struct gen_recipe *r, struct gen_kernel *k, char *err,
                                size_t errlen)
{
    memset(k, 0, sizeof *k);
    struct cache_paths cp;
    enum gen_status located = cache_locate(env, src, r, &cp, err, errlen);
    if (located != GEN_OK)
        return located;
    snprintf(k->src_path, sizeof k->src_path, "%s", cp.src);
    snprintf(k->so_path, sizeof k->so_path, "%s", cp.so);
    snprintf(k->log_path, sizeof k->log_path, "%s", cp.log);

    if (access(cp.so, R_OK) != 0) {
        double t0 = now_s();
        if (make_cache_dir(env, err, errlen) != GEN_OK)
            return GEN_ERR_COMPILE;
        if (write_atomic(cp.src, src, err, errlen) != 0)
            return GEN_ERR_COMPILE;
        enum gen_status st = compile(env, r, &cp, err, errlen);
        if (st != GEN_OK)
            return st;
        k->compile_s = now_s() - t0;
    }
    if (!r->load)
        return GEN_OK;
    enum gen_status st = load(env, k, err, errlen);
    if (st != GEN_OK)
        gen_unload(k);
    return st;
}

void gen_unload(struct gen_kernel *k)
{
    if (k->dl)
        dlclose(k->dl);
    k->dl = NULL;
    k->info = NULL;
    k->forward = NULL;
}
