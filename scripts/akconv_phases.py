#!/usr/bin/python3
"""Per-thread phase times of one generated AKConv `direct` kernel.

Usage:
    /usr/bin/python3 scripts/akconv_phases.py build/gen/HASH.c OUT.c
    cc -O3 -march=native -fopenmp -fPIC -shared -Igen/runtime \\
        -I/usr/include/x86_64-linux-gnu/openblas-pthread OUT.c -lopenblas -lm -o OUT.so
    build/akconv_ab THREADS ROUNDS B C H W OUTC NUM_PARAM STRIDE OUT.so

Copies the kernel's source with wall-clock timers around its phases:
the fork of the OpenMP region, the channels-last copy of x (this
thread's rows of XP before the tiles, or, with the ring of rows, its
staging inside the tiles), the packing of the weights (none with the prepared
path: akconv_ab prepares a kernel that has one unless NO_PREPARE=1),
BN's fold, the wait at the barrier before the tiles, and per tile p_conv, the corners, the gather, the column conv with BN + SiLU
(col_tile_nchw, col_tile_fused, or col_tile and the epilogue); then
each thread's time in its tiles, the spread between the two threads'
ends (|end0-end1|), the time from the later end to the region's exit,
each thread's CPU time (CLOCK_THREAD_CPUTIME_ID: below its wall time
when the host took the vCPU away) and the call's wall time.  At exit
the copy prints, per thread, the mean and the median per call in
microseconds (the median over the first 8192 calls; `tiles`: tiles per
call).  The timers cost about 0.1 us each: compare against the plain
kernel in the same akconv_ab run (docs/modules/perf_akconv.md, eighth
pass).  Exit 1 when the source does not have the expected shape (the
template changed: update the anchors below).
"""
import sys

M = "prof_now(CLOCK_MONOTONIC)"

HEADER = r'''
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double prof_now(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
enum { PR_FORK, PR_STX, PR_PACK, PR_BN, PR_BAR1, PR_PCONV, PR_CORN, PR_GATHER, PR_COL, PR_TILES, PR_JOIN, PR_IMB,
       PR_CPU, PR_WALL, PR_NT, PR_N };
static const char *PR_NAME[PR_N] = {"fork", "stage_x", "pack_weights", "fold_bn", "barrier", "pconv",
                                    "corners", "gather", "col+bn+silu", "tiles_total", "join_exit",
                                    "|end0-end1|", "cpu_time", "wall", "tiles"};
enum { REC = 8192 };
static double prof[2][PR_N], prof_end[2], last[2][PR_N];
static float rec[REC][2][PR_N], sorted[REC];
static long prof_calls;
static int cmpf(const void *a, const void *b) { float x = *(const float *)a, y = *(const float *)b; return (x > y) - (x < y); }
static float median(int th, int i)
{
    long n = prof_calls < REC ? prof_calls : REC;
    for (long c = 0; c < n; c++)
        sorted[c] = rec[c][th][i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmpf);
    return sorted[n / 2];
}
static void prof_record(void)
{
    if (prof_calls > REC)
        return;
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < PR_N; i++) {
            rec[prof_calls - 1][t][i] = (float)((prof[t][i] - last[t][i]) * (i == PR_NT ? 1.0 : 1e6));
            last[t][i] = prof[t][i];
        }
}
__attribute__((destructor)) static void prof_dump(void)
{
    if (!prof_calls)
        return;
    fprintf(stderr, "calls %ld; us per call: mean thr0 thr1 | median thr0 thr1\n", prof_calls);
    for (int i = 0; i < PR_N; i++) {
        const double s = (i == PR_NT ? 1.0 : 1e6) / prof_calls;
        fprintf(stderr, "%-14s %9.2f %9.2f | %9.2f %9.2f\n", PR_NAME[i], prof[0][i] * s, prof[1][i] * s,
                median(0, i), median(1, i));
    }
}
'''


def lap(key):
    return "    u_ = %s; prof[tid_][%s] += u_ - t_; t_ = u_;\n" % (M, key)


# (anchor, replacement): every anchor must occur exactly once
EDITS = [
    ('#include "ablate_sample.h"\n', '#include "ablate_sample.h"\n' + HEADER),
    (("    int nt = P - f0 < TILE ? P - f0 : TILE;\n", "    int nt = P - f0 < tile ? P - f0 : tile;\n"),
     "    int nt = P - f0 < NT_TILE ? P - f0 : NT_TILE;\n"
     "    const int tid_ = omp_get_thread_num(); double t_ = " + M + ", u_;\n"
     "    prof[tid_][PR_NT] += 1;\n"),
    # the ring's staging (none without it) counts as stage_x, per tile
    ("        xring_ensure(xr, f0 / WO * STRIDE, (f0 + nt - 1) / WO * STRIDE + 3);\n",
     "        xring_ensure(xr, f0 / WO * STRIDE, (f0 + nt - 1) / WO * STRIDE + 3);\n" + lap("PR_STX")),
    ("    /* 2. corners", lap("PR_PCONV") + "    /* 2. corners"),
    ("    /* 3. samples", lap("PR_CORN") + "    /* 3. samples"),
    ("        xring_ensure(xr, ra, re);\n", "        xring_ensure(xr, ra, re);\n" + lap("PR_STX")),
    ("        corners_to_ring(ws->m, nt, ra);\n",
     "        corners_to_ring(ws->m, nt, ra);\n" + lap("PR_CORN")),
    ("        gather_tile(xp_b, ws->m, nt, ws->st);\n",
     "        gather_tile(xp_b, ws->m, nt, ws->st);\n" + lap("PR_GATHER")),
    ("        gather_tile(xr->ring, ws->m, nt, ws->st);\n",
     "        gather_tile(xr->ring, ws->m, nt, ws->st);\n" + lap("PR_GATHER")),
    ("        gather_tile(xring_full(xr), ws->m, nt, ws->st);\n",
     "        gather_tile(xring_full(xr), ws->m, nt, ws->st);\n" + lap("PR_GATHER")),
    ("    col_tile_nchw(ws->st, pw->wcol, nt, ws, y + (size_t)b * OUTC * P + f0);\n",
     "    col_tile_nchw(ws->st, pw->wcol, nt, ws, y + (size_t)b * OUTC * P + f0);\n" + lap("PR_COL")),
    ("    epilogue(ws->acc, nt, ws->scale, ws->shift, y + (size_t)b * OUTC * P + f0);\n",
     "    epilogue(ws->acc, nt, ws->scale, ws->shift, y + (size_t)b * OUTC * P + f0);\n" + lap("PR_COL")),
    ("    col_tile_fused(ws->st, pw->wcol, nt, ws, y + (size_t)b * OUTC * P + f0);\n",
     "    col_tile_fused(ws->st, pw->wcol, nt, ws, y + (size_t)b * OUTC * P + f0);\n" + lap("PR_COL")),
    # forward's region (the NCHW path's forward_nchw has one of its own, not timed here)
    ("    float *xp = workspace;\n\n#pragma omp parallel num_threads(nthreads)\n",
     "    float *xp = workspace;\n    const double t0_ = " + M + ";\n    prof_calls++;\n"
     "#pragma omp parallel num_threads(nthreads)\n"),
    ("        struct tile_ws ws = tile_ws(priv + PW_FLOATS, ring);\n",
     "        struct tile_ws ws = tile_ws(priv + PW_FLOATS, ring);\n"
     "        const int tid_ = omp_get_thread_num();\n"
     "        const double c0_ = prof_now(CLOCK_THREAD_CPUTIME_ID);\n"
     "        double a_ = " + M + ", b_;\n        prof[tid_][PR_FORK] += a_ - t0_;\n"),
    # without the ring: all of XP first (this thread's rows)
    ("                stage_row(x + (size_t)(row / HP) * INC * H * W, row % HP, xp + (size_t)row * ROWF);\n"
     "        }\n",
     "                stage_row(x + (size_t)(row / HP) * INC * H * W, row % HP, xp + (size_t)row * ROWF);\n"
     "        }\n"
     "        b_ = " + M + ";\n        prof[tid_][PR_STX] += b_ - a_;\n        a_ = b_;\n"),
    ("            pack_weights(w, priv, ws.acc); /* acc: free until the tiles */\n",
     "            pack_weights(w, priv, ws.acc); /* acc: free until the tiles */\n"
     "        b_ = " + M + ";\n        prof[tid_][PR_PACK] += b_ - a_;\n        a_ = b_;\n"),
    ("        fold_bn(bn, bias, ws.scale, ws.shift);\n        if (!ring) {\n#pragma omp barrier\n        }\n",
     "        fold_bn(bn, bias, ws.scale, ws.shift);\n"
     "        b_ = " + M + ";\n        prof[tid_][PR_BN] += b_ - a_;\n        if (!ring) {\n#pragma omp barrier\n        }\n"
     "        a_ = " + M + ";\n        prof[tid_][PR_BAR1] += a_ - b_;\n"),
    (("#pragma omp for schedule(static)\n        for (int job = 0; job < JOBS; job++) {\n",
      "#pragma omp for schedule(static)\n        for (int job = 0; job < BATCH * ntiles; job++) {\n"),
     "#pragma omp for schedule(static) nowait\n        for (int job = 0; job < JOB_COUNT; job++) {\n"),
    (("            run_tile(&xr, &pw, y, b, job % NTILES * TILE, &ws);\n        }\n    }\n",
      "            run_tile(&xr, &pw, y, b, job % ntiles * tile, tile, &ws);\n        }\n    }\n"),
     "            RUN_TILE_CALL;\n        }\n"
     "        b_ = " + M + ";\n        prof[tid_][PR_TILES] += b_ - a_;\n        prof_end[tid_] = b_;\n"
     "        prof[tid_][PR_CPU] += prof_now(CLOCK_THREAD_CPUTIME_ID) - c0_;\n    }\n"
     "    {\n        const double t1_ = " + M + ";\n"
     "        if (nthreads == 2) {\n"
     "            const double e0 = prof_end[0], e1 = prof_end[1], late = e0 > e1 ? e0 : e1;\n"
     "            prof[0][PR_JOIN] += t1_ - late;\n"
     "            prof[0][PR_IMB] += late - (e0 < e1 ? e0 : e1);\n"
     "        }\n        prof[0][PR_WALL] += t1_ - t0_;\n        prof_record();\n    }\n"),
]


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: akconv_phases.py KERNEL.c OUT.c\n")
        return 2
    with open(argv[1]) as f:
        src = f.read()
    if "(\"gather + direct conv\")" not in src:
        sys.stderr.write("akconv_phases: %s is not an AKConv direct kernel\n" % argv[1])
        return 1
    # kernels with one tile size (TILE) or two (TILE, and TILE_RING with XP's ring: run_tile's `tile`)
    two = "TILE_RING = " in src
    subst = {"NT_TILE": "tile" if two else "TILE", "JOB_COUNT": "BATCH * ntiles" if two else "JOBS",
             "RUN_TILE_CALL": "run_tile(&xr, &pw, y, b, job % ntiles * tile, tile, &ws)" if two
             else "run_tile(&xr, &pw, y, b, job % NTILES * TILE, &ws)"}
    for anchor, new in EDITS:
        if isinstance(anchor, tuple):  # the alternative this kernel has
            anchor = anchor[1] if two else anchor[0]
        for k, v in subst.items():
            new = new.replace(k, v)
        n = src.count(anchor)
        # col_tile_nchw, col_tile_fused and epilogue: one of them is compiled in, all are in the source
        # (col_tile_fused: absent from kernels generated before it)
        if n != 1 and not (n == 0 and "col_tile_fused(" in anchor):
            sys.stderr.write("akconv_phases: anchor found %d times: %r\n" % (n, anchor[:60]))
            return 1
        src = src.replace(anchor, new)
    with open(argv[2], "w") as f:
        f.write(src)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
