/* scripts/akconv_copy_bench.c — what bounds AKConv's copy of x (stage_x).
 *
 * The direct kernel copies x (NCHW) into zero-padded channels-last rows of
 * a ring (gen/templates/akconv_direct.c.in stage_row, 16 x 16 zmm
 * transposes).  This driver times that copy at L3's shape (32 x 160 x 160,
 * 3.3 MB) and its parts on one core, each pass after 8 MB of other writes
 * (so x comes from L3, as in a sweep's back-to-back calls), best of 60
 * passes of the thread's CPU time:
 *   read        x read once in sequence (the floor for bringing x in)
 *   stage       the kernel's copy: 16 x 16 transposes into a 34-row ring
 *   stage_pf_t1 / stage_pf_nta  the same with a prefetch of the next row
 *   stage_ld    the same with the transposes' 128-bit lane stage done by
 *               the loads (vbroadcastf32x4 + 3 masked: 32 port-5 shuffles
 *               a block instead of 64)
 *   t_ring      the transposes from an L1-resident source into the ring
 *   t_l1        the transposes with source and destination in L1
 *   ring_stores the ring's stores alone (no shuffles, L1 source)
 * Measured on the Intel Xeon model 207 (docs/modules/perf_akconv.md, tenth
 * Intel pass): read 110-116 us, stage 214-221, t_l1 73-77, ring_stores
 * 97-102, t_ring 122-128, stage_ld 201-206: the copy costs about reading x
 * plus storing the ring.
 *
 * Build:  cc -O3 -march=native -std=c11 -D_GNU_SOURCE scripts/akconv_copy_bench.c \
 *            -o build/akconv_copy_bench
 * Run:    flock /tmp/ablate-timing.lock build/akconv_copy_bench
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { C = 32, H = 160, W = 160, RING = 34, WP = W + 2, JUNK_BYTES = 8 << 20, PASSES = 60 };

struct bufs {
    float *x, *junk, *ring, *l1;
};

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* x out of L1 and L2 (still in L3) */
static void evict(struct bufs *b)
{
    for (size_t i = 0; i < JUNK_BYTES / sizeof(float); i += 16)
        b->junk[i] += 1.0f;
}

static float read_x(const struct bufs *b)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < (size_t)C * H * W; i += 64) {
        s0 = _mm512_add_ps(s0, _mm512_load_ps(b->x + i));
        s1 = _mm512_add_ps(s1, _mm512_load_ps(b->x + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_load_ps(b->x + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_load_ps(b->x + i + 48));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

/* abl_akc_t16x16 (gen/runtime/ablate_akconv.h): r[p][c] -> r[c][p] */
static inline void t16x16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xDD);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xDD);
    }
}

/* r[c] = column c of the 16 x 16 block at s (rows lds apart), the 128-bit
 * lane stage by the loads, then 4 x 4 transposes within the lanes */
static inline void t16x16_ld(const float *s, ptrdiff_t lds, __m512 r[16])
{
    for (int k = 0; k < 4; k++) {
        __m512 q[4];
        for (int i = 0; i < 4; i++) {
            const float *p = s + i * lds + 4 * k;
            __m512 v = _mm512_broadcast_f32x4(_mm_loadu_ps(p));
            v = _mm512_mask_broadcast_f32x4(v, 0x00F0, _mm_loadu_ps(p + 4 * lds));
            v = _mm512_mask_broadcast_f32x4(v, 0x0F00, _mm_loadu_ps(p + 8 * lds));
            q[i] = _mm512_mask_broadcast_f32x4(v, 0xF000, _mm_loadu_ps(p + 12 * lds));
        }
        const __m512 t0 = _mm512_unpacklo_ps(q[0], q[1]), t1 = _mm512_unpackhi_ps(q[0], q[1]);
        const __m512 t2 = _mm512_unpacklo_ps(q[2], q[3]), t3 = _mm512_unpackhi_ps(q[2], q[3]);
        r[4 * k + 0] =
            _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
        r[4 * k + 1] =
            _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
        r[4 * k + 2] =
            _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
        r[4 * k + 3] =
            _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
    }
}

enum variant { READ, STAGE, STAGE_PF_T1, STAGE_PF_NTA, STAGE_LD, T_RING, T_L1, RING_STORES, NVAR };
static const char *const NAME[NVAR] = {"read",     "stage",  "stage_pf_t1", "stage_pf_nta",
                                       "stage_ld", "t_ring", "t_l1",        "ring_stores"};

/* one 16-plane x 16-pixel block of row h: loaded, transposed, stored */
static void block(struct bufs *b, enum variant v, int h, int c0, int j)
{
    const float *s = b->x + ((size_t)c0 * H + h) * W + j;
    const float *l1 = b->l1 + (j & 16); /* an L1-resident source */
    float *d = v == T_L1 ? b->l1 + 512 + (j & 16) * 16
                         : b->ring + (size_t)(h % RING) * WP * C + C + j * C + c0;
    const ptrdiff_t ldd = v == T_L1 ? 16 : C;
    __m512 r[16];
    if (v == STAGE_LD) {
        t16x16_ld(s, (ptrdiff_t)H * W, r);
    } else if (v == RING_STORES) {
        for (int p = 0; p < 16; p++)
            r[p] = _mm512_loadu_ps(l1);
    } else {
        for (int p = 0; p < 16; p++) {
            const float *sp = v == T_RING || v == T_L1 ? l1 + p * 32 : s + (size_t)p * H * W;
            if (v == STAGE_PF_T1)
                _mm_prefetch((const char *)(sp + W), _MM_HINT_T1);
            else if (v == STAGE_PF_NTA)
                _mm_prefetch((const char *)(sp + W), _MM_HINT_NTA);
            r[p] = _mm512_loadu_ps(sp);
        }
        t16x16(r);
    }
    for (int c = 0; c < 16; c++)
        _mm512_storeu_ps(d + c * ldd, r[c]);
}

static float run(struct bufs *b, enum variant v)
{
    if (v == READ)
        return read_x(b);
    for (int h = 0; h < H; h++)
        for (int c0 = 0; c0 < C; c0 += 16)
            for (int j = 0; j < W; j += 16)
                block(b, v, h, c0, j);
    return 0;
}

int main(void)
{
    struct bufs b = {aligned_alloc(64, (size_t)C * H * W * 4), aligned_alloc(64, JUNK_BYTES),
                     aligned_alloc(64, (size_t)RING * WP * C * 4), aligned_alloc(64, 4096 * 4)};
    if (!b.x || !b.junk || !b.ring || !b.l1) {
        fprintf(stderr, "akconv_copy_bench: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)C * H * W; i++)
        b.x[i] = (float)(i % 97);
    memset(b.junk, 0, JUNK_BYTES);
    memset(b.ring, 0, (size_t)RING * WP * C * 4);
    memset(b.l1, 0, 4096 * 4);
    double best[NVAR];
    float sink = 0;
    for (int k = 0; k < NVAR; k++)
        best[k] = 1e9;
    for (int pass = 0; pass < PASSES; pass++)
        for (int k = 0; k < NVAR; k++) {
            evict(&b);
            const double t = cpu_now();
            sink += run(&b, (enum variant)k);
            const double dt = cpu_now() - t;
            best[k] = dt < best[k] ? dt : best[k];
        }
    for (int k = 0; k < NVAR; k++)
        printf("%-12s %7.1f us  (%.1f GB/s of x)\n", NAME[k], best[k] * 1e6,
               C * H * W * 4.0 / best[k] / 1e9);
    return sink == 12345.0f; /* keeps the reads */
}
