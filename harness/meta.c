/* harness/meta.c — see meta.h.
 *
 * The fingerprint says which machine and software produced a number:
 * runs whose fingerprint ids differ are not compared without --mix-machines.  The
 * id hashes what changes speed (CPU, SIMD flags, BLAS kernels, compiler),
 * not the CUDA line, which is only probed, not measured, here.
 *
 * meta_write errors (one line, starting with the path):
 *   DIR/meta.json: cannot write (<strerror>)
 *   DIR/meta.json: out of memory
 */
#include "meta.h"
#include "blas_core.h"
#include "tool_run.h"

#include <cblas.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, n - lead + 1);
}

/* Runs argv (no shell) and keeps the first line of its stdout (the rest is
 * read and dropped, so the child never blocks on a full pipe).  Returns
 * the exit status, or -1 when it could not run. */
static int run_first_line(char *const argv[], char *line, size_t len, int *any_output)
{
    int rc = tool_run_capture(argv, line, len);
    *any_output = line[0] != 0;
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = 0;
    return rc;
}

/* 64-bit FNV-1a: small, stable across platforms, enough to tell machines apart. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull; /* field separator: "ab","c" != "a","bc" */
}

/* ------------------------------------------------------------ fingerprint */

/* The value of the first "key : value" line of /proc/cpuinfo whose key is
 * one of keys (x86 says "model name"/"flags", arm64 "CPU part"/"Features"). */
static void cpuinfo_value(const char *const *keys, char *out, size_t len)
{
    out[0] = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[8192];
    while (!out[0] && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = 0;
        trim(line);
        for (int i = 0; keys[i] && !out[0]; i++)
            if (!strcmp(line, keys[i])) {
                snprintf(out, len, "%s", colon + 1);
                trim(out);
            }
    }
    (void)fclose(f); /* read-only: a failing close loses nothing */
}

/* The SIMD flags that decide which kernels run, in a fixed order. */
static void simd_flags(char *out, size_t len)
{
    static const char *const wanted[] = {
        "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512dq", "avx512cd",
        "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile",
        "amx_bf16", "amx_int8", "asimd", "asimddp", "sve", "sve2", NULL};
    static const char *const keys[] = {"flags", "Features", NULL};
    char all[8192], padded[8200];
    cpuinfo_value(keys, all, sizeof all);
    snprintf(padded, sizeof padded, " %s ", all);
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; wanted[i] && used < len; i++) {
        char word[32];
        snprintf(word, sizeof word, " %s ", wanted[i]);
        if (strstr(padded, word))
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "", wanted[i]);
    }
}

static void compiler_version(char *out, size_t len)
{
    /* The compiler that builds the generated kernels: $CC, else cc. */
    const char *cc = getenv("CC");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s --version 2>/dev/null", cc && *cc ? cc : "cc");
    snprintf(out, len, "unknown");
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    char line[128]; /* = sizeof fp->compiler; a longer first line is cut */
    if (fgets(line, sizeof line, p)) {
        trim(line);
        snprintf(out, len, "%s", line);
    }
    while (fgets(line, sizeof line, p)) /* drain, so the compiler exits cleanly */
        ;
    if (pclose(p) != 0)
        snprintf(out, len, "unknown");
}

static void fingerprint_hash(struct fingerprint *fp)
{
    char cores[16];
    snprintf(cores, sizeof cores, "%d", fp->cores);
    const char *fields[] = {fp->cpu_model, cores, fp->cpu_flags, fp->blas_core, fp->blas_config,
                            fp->blas_coretype_env, fp->compiler};
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        h = fnv1a(h, fields[i]);
    snprintf(fp->id, sizeof fp->id, "%016" PRIx64, h);
}

/* With autogroup on (the default of most distributions' kernels), the
 * scheduler shares the CPU between terminal sessions first and applies
 * nice only inside one: a build at nice 19 in another terminal still takes
 * its session's share from a timing run.  Measured here: 1-thread AKConv
 * rows 1.05 -> 2.43x their baseline while a `nice -n 19 make` ran in
 * another session (docs/measurement.md). */
static int read_sched_autogroup(void)
{
    FILE *f = fopen("/proc/sys/kernel/sched_autogroup_enabled", "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

void fingerprint_read(struct fingerprint *fp, const struct fma_rate *fma)
{
    static const char *const model_keys[] = {"model name", "Model", "CPU part", NULL};
    memset(fp, 0, sizeof *fp);
    cpuinfo_value(model_keys, fp->cpu_model, sizeof fp->cpu_model);
    if (!fp->cpu_model[0])
        snprintf(fp->cpu_model, sizeof fp->cpu_model, "unknown");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    fp->cores = n > 0 ? (int)n : 0;
    simd_flags(fp->cpu_flags, sizeof fp->cpu_flags);
    const char *core = openblas_get_corename(), *config = openblas_get_config();
    snprintf(fp->blas_core, sizeof fp->blas_core, "%s", core ? core : "unknown");
    snprintf(fp->blas_config, sizeof fp->blas_config, "%s", config ? config : "unknown");
    trim(fp->blas_core);
    trim(fp->blas_config);
    const char *env = getenv("OPENBLAS_CORETYPE");
    snprintf(fp->blas_coretype_env, sizeof fp->blas_coretype_env, "%s", env ? env : "");
    /* main() re-executes itself to apply ABLATE_CORETYPE and keeps the
     * value it started with here ("" = it was unset). */
    const char *orig = getenv("ABLATE_ORIG_CORETYPE");
    fp->reexec = orig != NULL;
    snprintf(fp->blas_coretype_orig, sizeof fp->blas_coretype_orig, "%s", orig ? orig : "");
    const char *detected = getenv("ABLATE_BLAS_DETECTED");
    snprintf(fp->blas_core_detected, sizeof fp->blas_core_detected, "%s", detected ? detected : "");
    compiler_version(fp->compiler, sizeof fp->compiler);
    snprintf(fp->cuda_device, sizeof fp->cuda_device, "%s",
             access("/dev/nvidia0", F_OK) == 0 ? "present, not probed" : "none");
    fp->sched_autogroup = read_sched_autogroup();
    fingerprint_hash(fp);
    if (fma)
        fp->fma = *fma;
    else
        fp->fma = (struct fma_rate){.rate = FMA512_NONE};
}

/* ------------------------------------------------------------ git */

void git_commit(const char *root, char *buf, size_t len)
{
    char head[64];
    int out;
    char *rev[] = {"git", "-C", (char *)root, "rev-parse", "--short", "HEAD", NULL};
    if (run_first_line(rev, head, sizeof head, &out) != 0 || !head[0]) {
        snprintf(buf, len, "unknown");
        return;
    }
    char first[256];
    /* --no-optional-locks: a sweep must not take index.lock from under a
     * commit the user is making at the same time. */
    char *status[] = {"git", "--no-optional-locks", "-C", (char *)root, "status", "--porcelain", NULL};
    int rc = run_first_line(status, first, sizeof first, &out);
    /* A tree whose state git cannot tell is not known to be clean. */
    snprintf(buf, len, "%s%s", head, rc != 0 || out ? "-dirty" : "");
}

/* ------------------------------------------------------------ meta.json */

/* The source tree: ABLATE_ROOT, else the folder above the executable's
 * (ROOT/build/ablate), as the generator finds it. */
static void source_root(char *out, size_t len)
{
    const char *env = getenv("ABLATE_ROOT");
    char exe[4096];
    ssize_t n;
    if (env && *env)
        snprintf(out, len, "%s", env);
    else if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
        exe[n] = 0;
        snprintf(out, len, "%s", dirname(dirname(exe)));
    } else
        snprintf(out, len, ".");
}

static json_t *fingerprint_json(const struct fingerprint *fp)
{
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "id", fp->id, "cpu_model",
                          fp->cpu_model, "cores", fp->cores, "cpu_flags", fp->cpu_flags, "blas_core",
                          fp->blas_core, "blas_config", fp->blas_config, "blas_coretype_env",
                          fp->blas_coretype_env, "compiler", fp->compiler, "cuda_device", fp->cuda_device);
    json_t *autogroup = fp->sched_autogroup < 0 ? json_null() : json_integer(fp->sched_autogroup);
    if (o && json_object_set_new(o, "sched_autogroup", autogroup) != 0) {
        json_decref(o);
        return NULL;
    }
    /* "full" / "half": which paths the kernels took (ABL_AVX512_FULL_RATE);
     * the ratio it was read from, null where ABLATE_AVX512_RATE forced it */
    json_t *ratio = fp->fma.zmm_over_ymm > 0 ? json_real(fp->fma.zmm_over_ymm) : json_null();
    if (!o)
        json_decref(ratio);
    if (o && (json_object_set_new(o, "avx512_fma_rate", json_string(fma_rate_name(fp->fma.rate))) != 0 ||
              json_object_set_new(o, "avx512_zmm_over_ymm", ratio) != 0)) {
        json_decref(o);
        return NULL;
    }
    if (o && fp->reexec && json_object_set_new(o, "blas_coretype_before_reexec",
                                               json_string(fp->blas_coretype_orig)) != 0) {
        json_decref(o);
        return NULL;
    }
    /* OpenBLAS's own, generic pick where "auto" overruled it (main.c) */
    if (o && fp->blas_core_detected[0] &&
        json_object_set_new(o, "blas_core_detected", json_string(fp->blas_core_detected)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* argv[i] as a shell would need it, so the command can be pasted back. */
static size_t append_shell_word(char *out, size_t len, size_t used, const char *word)
{
    int plain = *word != 0;
    for (const char *c = word; *c && plain; c++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-@%", *c) != NULL;
    if (used >= len)
        return used;
    if (plain)
        return used + (size_t)snprintf(out + used, len - used, "%s", word);
    used += (size_t)snprintf(out + used, len - used, "'");
    for (const char *c = word; *c && used < len; c++)
        used += (size_t)snprintf(out + used, len - used, *c == '\'' ? "'\\''" : "%c", *c);
    return used < len ? used + (size_t)snprintf(out + used, len - used, "'") : used;
}

static json_t *meta_json(const struct fingerprint *fp, int argc, char **argv, const char *experiment)
{
    char command[8192] = "", date[32] = "", host[256] = "", root[4096], commit[96];
    json_t *args = json_array();
    size_t used = 0;
    for (int i = 0; i < argc && args; i++) {
        if (json_array_append_new(args, json_string(argv[i])) != 0)
            json_decref(args), args = NULL;
        if (i && used < sizeof command)
            used += (size_t)snprintf(command + used, sizeof command - used, " ");
        used = append_shell_word(command, sizeof command, used, argv[i]);
    }
    time_t now = time(NULL);
    struct tm utc;
    if (gmtime_r(&now, &utc))
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = 0;
    source_root(root, sizeof root);
    git_commit(root, commit, sizeof commit);
    const char *blas_threads = getenv("OPENBLAS_NUM_THREADS");
    json_t *fpj = fingerprint_json(fp);
    if (!args || !fpj) {
        json_decref(args), json_decref(fpj);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:i, s:s?}", "experiment",
                     experiment ? experiment : "", "command", command, "argv", args, "date", date,
                     "commit", commit, "hostname", host, "fingerprint", fpj, "openmp_max_threads",
                     omp_get_max_threads(), "openblas_num_threads", blas_threads);
}

static int write_text(const char *tmp, const char *text)
{
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int saved = errno;
    if (fclose(f) != 0 && !bad)
        return -1;
    errno = saved;
    return bad ? -1 : 0;
}

int meta_write(const char *dir, const struct fingerprint *fp, int argc, char **argv,
               const char *experiment, char *err, size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    json_t *meta = meta_json(fp, argc, argv, experiment);
    char *text = meta ? json_dumps(meta, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(meta);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = write_text(tmp, text) == 0 && rename(tmp, path) == 0 ? 0 : -1;
    free(text);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        if (unlink(tmp) != 0 && errno != ENOENT)
            fprintf(stderr, "ablate: could not remove %s: %s\n", tmp, strerror(errno));
    }
    return rc;
}
