/* tests/test_dlka_blog.c — the blog variant's attention inside C3_DCNv3_DLKA
 * (gen/runtime/ablate_dlka_blog.h): at 2 threads phase B's tiles are
 * claimed from both ends of the job list (abl_blog_claim) instead of the
 * static halves. */
#include "gen_check.h"
#include "header_check.h"

/* abl_blog_claim under every kind of interleaving of the two threads'
 * claims (one thread takes all, strict turns, runs of several, a random
 * order), jobs 1 to 17: every job is claimed exactly once, thread 0's
 * jobs are a prefix of the list in order, thread 1's the rest from the
 * end backwards, and every claim after the last job returns -1 (each
 * thread then stops). */
Test(dlka_blog, claim_from_both_ends, .timeout = 60)
{
    static const char src[] =
        "#include <stdio.h>\n"
        "#include \"ablate_dlka_blog.h\"\n"
        "static unsigned s = 7u;\n"
        "static int coin(void) { return (int)((s = s * 1103515245u + 12345u) >> 16) & 1; }\n"
        "/* order: 0 all thread 0, 1 all thread 1, 2 turns, 3 runs of 3, 4 random */\n"
        "static int run(int jobs, int order) {\n"
        "    int claimed = 0, mine[2] = {0, 0}, done[2] = {0, 0}, owner[64], next[2] = {0, 0}, bad = 0;\n"
        "    for (int j = 0; j < jobs; j++) owner[j] = -1;\n"
        "    next[1] = jobs - 1;\n"
        "    for (int step = 0; !(done[0] && done[1]); step++) {\n"
        "        int me = order == 0 ? 0 : order == 1 ? 1 : order == 2 ? step & 1 : order == 3 ? step / 3 & 1 : coin();\n"
        "        if (done[me]) me ^= 1;\n"
        "        const int job = abl_blog_claim(&claimed, jobs, me, &mine[me]);\n"
        "        if (job < 0) { done[me] = 1; continue; }\n"
        "        bad |= job >= jobs || owner[job] != -1 || job != next[me];\n"
        "        if (job < jobs && job >= 0) owner[job] = me;\n"
        "        next[me] += me == 0 ? 1 : -1;\n"
        "    }\n"
        "    for (int j = 0; j < jobs; j++) bad |= owner[j] < 0;\n"
        "    bad |= mine[0] + mine[1] != jobs;\n"
        "    bad |= abl_blog_claim(&claimed, jobs, 0, &mine[0]) != -1 || abl_blog_claim(&claimed, jobs, 1, &mine[1]) != -1;\n"
        "    if (bad) printf(\"jobs %d order %d: bad\\n\", jobs, order);\n"
        "    return bad;\n"
        "}\n"
        "int main(void) {\n"
        "    int bad = 0;\n"
        "    for (int jobs = 1; jobs <= 17; jobs++)\n"
        "        for (int order = 0; order < 5; order++)\n"
        "            bad |= run(jobs, order);\n"
        "    return bad;\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0, "abl_blog_claim: a job lost, claimed twice or out of order");
}

static void check(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "fused", 1e-3); }

/* Generated C3_DCNv3_DLKA blog kernels through abl_dlka_blog against the
 * scalar reference at 1 and 2 threads: 8 tiles of 8 rows a layer (64 x 64,
 * c_ 16: the claims, ABL_BLOG_CLAIM_MIN_JOBS), batch 2 of 5 tiles of 7
 * rows each (10 jobs: the two ends start in different images), a map of
 * fewer tiles (the static schedule), and the prepared path on the claims
 * (the same bits as forward at 1 and 2 threads). */
Test(dlka_blog, c3_kernels, .timeout = 240)
{
    check("C3_DCNv3_DLKA c1=16 c2=32 h=64 w=64", 91);
    check("C3_DCNv3_DLKA c1=8 c2=32 h=33 w=64 batch=2", 92);
    check("C3_DCNv3_DLKA c1=8 c2=8 h=9 w=7", 93);
    gen_check_prepared_case("C3_DCNv3_DLKA c1=16 c2=32 h=33 w=64 batch=2", 94, "fused", 1);
}
