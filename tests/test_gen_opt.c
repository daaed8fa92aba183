/* tests/test_gen_opt.c — the generated kernels' -O level (gen.h
 * gen_env_check_opt): `make test` builds its correctness-only kernels at
 * ABLATE_GEN_OPT=2; those builds are cache entries of their own and say
 * their level in the log; a sweep never takes it (its kernels are the ones
 * it times), `ablate parity` does; a check takes a kernel already cached at
 * a higher level.  goldens/o3_set_covers_every_module_and_variant
 * is the other half: every module and variant stays checked at -O3. */
#include <criterion/criterion.h>
#include <glob.h>

#include "gen_check.h"
#include "test_util.h"

/* Only gen_env_check_opt reads ABLATE_GEN_OPT; gen_env_init is -O3. */
Test(gen_opt, only_the_check_layer_reads_the_knob)
{
    struct gen_env env;
    char err[ERR_MAX];
    cr_assert_eq(setenv(GEN_OPT_ENV, "2", 1), 0);
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    cr_expect_eq(env.opt_level, 3);
    cr_assert_eq(gen_env_check_opt(&env, err, sizeof err), 0, "%s", err);
    cr_expect_eq(env.opt_level, 2);
    cr_assert_eq(setenv(GEN_OPT_ENV, "", 1), 0);
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    cr_expect_eq(gen_env_check_opt(&env, err, sizeof err), 0);
    cr_expect_eq(env.opt_level, 3);
    static const char *const bad[] = {"0", "4", "O2", "-O2", "22", "s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(setenv(GEN_OPT_ENV, bad[i], 1), 0);
        err[0] = 0;
        cr_expect_eq(gen_env_check_opt(&env, err, sizeof err), -1, "%s accepted", bad[i]);
        cr_expect(strstr(err, GEN_OPT_ENV) != NULL, "%s: %s", bad[i], err);
        cr_expect_eq(env.opt_level, 3);
    }
}

/* A repository root of its own in a temp folder (gen/ linked, build/ empty):
 * the kernels a test builds there are all in ROOT/build/gen, cold. */
static void own_root(char *dir, size_t len)
{
    char cwd[GEN_PATH_MAX], link[GEN_PATH_MAX + 80];
    temp_dir(dir, len);
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(link, sizeof link, "%s/gen", dir);
    snprintf(cwd + strlen(cwd), sizeof cwd - strlen(cwd), "/gen");
    cr_assert_eq(symlink(cwd, link), 0, "%s", link);
    cr_assert_eq(setenv("ABLATE_ROOT", dir, 1), 0);
}

/* The first line of path (the kernel log's head, gen_cc.c LOG_HEAD). */
static void first_line(const char *path, char *line, size_t len)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    if (!fgets(line, (int)len, f))
        line[0] = 0;
    fclose(f);
    line[strcspn(line, "\n")] = 0;
}

/* Counts the kernel logs ROOT/build/gen/HASH.log by their head: at[L] those built at -OL
 * (L 1-3); asserts there is no other. */
static void count_logs(const char *root, int at[4])
{
    char pattern[GEN_PATH_MAX], line[256];
    glob_t g;
    memset(at, 0, 4 * sizeof *at);
    snprintf(pattern, sizeof pattern, "%s/build/gen/*.log", root);
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        first_line(g.gl_pathv[i], line, sizeof line);
        int level = strncmp(line, "ablate: built at -O", 19) == 0 ? line[19] - '0' : 0;
        cr_expect(level >= 1 && level <= 3 && !line[20], "%s: %s", g.gl_pathv[i], line);
        at[level >= 1 && level <= 3 ? level : 0]++;
    }
    globfree(&g);
}

/* The same kernel at -O2 and -O3: two cache entries, each log naming its
 * level, both computing the layer. */
Test(gen_opt, level_is_a_cache_key_and_in_the_log, .timeout = 120)
{
    char dir[64];
    own_root(dir, sizeof dir);
    struct gen_env env;
    char err[ERR_MAX];
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    struct gen_case c;
    gen_case_setup(&c, "Conv c1=4 c2=8 k=3 s=1 h=9 w=7", 91);
    gen_case_reference(&c);
    char so[2][GEN_PATH_MAX], line[256];
    for (int level = 2; level <= 3; level++) {
        struct gen_kernel k;
        char want[64];
        env.opt_level = level;
        cr_assert_eq(gen_build(&env, &c.inst.args, c.inst.in, "gemm", &k, err, sizeof err), GEN_OK,
                     "-O%d: %s", level, err);
        cr_expect(k.compile_s > 0, "-O%d came from the cache", level);
        snprintf(so[level - 2], sizeof so[0], "%s", k.so_path);
        first_line(k.log_path, line, sizeof line);
        snprintf(want, sizeof want, "ablate: built at -O%d", level);
        cr_expect_str_eq(line, want);
        float *out = gen_case_run(&c, &k, 2);
        struct parity p;
        parity_compare(out, c.y_ref, c.ny, &p);
        cr_expect(p.n_bad == 0 && p.n_nonfinite == 0, "-O%d: max_rel %.3g", level, p.max_rel);
        buf_free(out, c.ny);
        gen_unload(&k);
    }
    cr_expect_str_neq(so[0], so[1]);
    gen_case_free(&c);
    remove_dir(dir);
}

/* Builds c's gemm kernel at -Olevel into k (unloaded after): 1 if it was compiled, 0 if it came
 * from the cache; *built_at is the level its log names.  Checks it computes the layer. */
static int build_at(struct gen_env *env, struct gen_case *c, int level, struct gen_kernel *k,
                    int *built_at)
{
    char err[ERR_MAX], line[256];
    env->opt_level = level;
    cr_assert_eq(gen_build(env, &c->inst.args, c->inst.in, "gemm", k, err, sizeof err), GEN_OK,
                 "-O%d: %s", level, err);
    first_line(k->log_path, line, sizeof line);
    cr_assert(strncmp(line, "ablate: built at -O", 19) == 0, "%s", line);
    *built_at = line[19] - '0';
    float *out = gen_case_run(c, k, 2);
    struct parity p;
    parity_compare(out, c->y_ref, c->ny, &p);
    cr_expect(p.n_bad == 0 && p.n_nonfinite == 0, "-O%d: max_rel %.3g", level, p.max_rel);
    buf_free(out, c->ny);
    gen_unload(k);
    return k->compile_s > 0;
}

/* A correctness check (-O1, -O2) takes the kernel already cached at a higher
 * level (the same source and flags but the -O word) instead of building its
 * own; an -O3 request never takes a lower level's kernel. */
Test(gen_opt, check_takes_a_higher_level_never_a_lower, .timeout = 120)
{
    char dir[64];
    own_root(dir, sizeof dir);
    struct gen_env env;
    char err[ERR_MAX], so3[GEN_PATH_MAX], so1[GEN_PATH_MAX];
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    struct gen_case c;
    struct gen_kernel k;
    int at[4], level;
    gen_case_setup(&c, "Conv c1=4 c2=8 k=3 s=1 h=9 w=7", 92);
    gen_case_reference(&c);
    cr_expect(build_at(&env, &c, 3, &k, &level) && level == 3, "-O3 not built (-O%d)", level);
    snprintf(so3, sizeof so3, "%s", k.so_path);
    for (int want = 1; want <= 2; want++) {
        cr_expect(!build_at(&env, &c, want, &k, &level), "-O%d built its own", want);
        cr_expect_eq(level, 3, "-O%d took an -O%d kernel", want, level);
        cr_expect_str_eq(k.so_path, so3);
    }
    count_logs(dir, at);
    cr_expect(at[1] == 0 && at[2] == 0 && at[3] == 1, "%d, %d, %d at -O1, 2, 3", at[1], at[2],
              at[3]);
    gen_case_free(&c);

    gen_case_setup(&c, "Conv c1=4 c2=8 k=3 s=1 h=7 w=9", 93); /* another kernel */
    gen_case_reference(&c);
    cr_expect(build_at(&env, &c, 1, &k, &level) && level == 1, "-O1 not built (-O%d)", level);
    snprintf(so1, sizeof so1, "%s", k.so_path);
    cr_expect(build_at(&env, &c, 3, &k, &level) && level == 3, "-O3 took the -O1 kernel");
    cr_expect_str_neq(k.so_path, so1);
    cr_expect(!build_at(&env, &c, 1, &k, &level) && level == 3, "-O1 not from -O3 (-O%d)", level);
    count_logs(dir, at);
    cr_expect(at[1] == 1 && at[2] == 0 && at[3] == 2, "%d, %d, %d at -O1, 2, 3", at[1], at[2],
              at[3]);
    gen_case_free(&c);
    remove_dir(dir);
}

/* With ABLATE_GEN_OPT=2 in its environment a sweep still builds -O3 only;
 * `ablate parity` (a check) builds at -O2. */
Test(gen_opt, sweep_never_takes_o2, .timeout = 240)
{
    char dir[64], file[128], args[512];
    own_root(dir, sizeof dir);
    cr_assert_eq(setenv(GEN_OPT_ENV, "2", 1), 0);
    snprintf(file, sizeof file, "%s/o2.lua", dir);
    write_file(file, "return sweep { name = \"o2\", module = \"Conv\", args = { k = 3 },\n"
                     "  shapes = {{layer = \"T\", c1 = 4, c2 = 8, h = 9, w = 7}},\n"
                     "  variants = { \"gemm\", \"direct\" } }\n");
    snprintf(args, sizeof args, "sweep %s --quick --out %s/run", file, dir);
    struct run_out r;
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    int at[4];
    count_logs(dir, at);
    cr_expect_eq(at[2], 0, "the sweep built %d kernels at -O2", at[2]);
    cr_expect_eq(at[3], 2, "the sweep built %d kernels at -O3 (gemm, direct)", at[3]);
    snprintf(args, sizeof args,
             "parity Conv c1=8 c2=5 k=1 s=1 bn_eps=1e-5 --backends ref,gen --weights %s "
             "--input %s --expect %s",
             "tests/goldens/conv_k1s1_8x5.safetensors", "tests/goldens/conv_k1s1_8x5.safetensors",
             "tests/goldens/conv_k1s1_8x5.safetensors");
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    count_logs(dir, at);
    cr_expect_eq(at[2], 2, "parity built %d kernels at -O2 (gemm, direct)", at[2]);
    cr_expect_eq(at[3], 2);
    remove_dir(dir);
}
