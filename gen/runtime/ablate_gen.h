/* gen/runtime/ablate_gen.h — building blocks shared by generated kernels.
 *
 * Everything here is static inline and takes its sizes as arguments: a
 * template passes its baked-in constants (enum values), the call is inlined
 * and the compiler specialises the loops for them (a stride of 2 becomes a
 * fixed shuffle, a kernel width of 3 an unrolled loop).  Generated code is
 * compiled with plain -O3 -march=native -fopenmp (no -ffast-math): the
 * loops that must vectorise say so with `#pragma omp simd`.
 *
 *   ABL_AVX512_FULL_RATE    1 where the build targets full-rate AVX-512
 *   ABL_CPU_ZEN             1 where the build targets an AMD Zen (3, 4, 5)
 *   abl_blas_single_thread  make OpenBLAS single-threaded (call before a
 *                           parallel region that calls BLAS)
 *   abl_bn_fold             BatchNorm (inference) -> per-channel scale/shift
 *   abl_expf, abl_silu      vectorisable e^x and SiLU
 *   abl_silu8               abl_silu on 8 lanes in registers, AVX2 + FMA (the same steps)
 *   abl_exp2_frac8, abl_ldexp8  2^f on 8 lanes, p 2^n by exponent bits (AVX2)
 *   abl_prefix8             the first n lanes of a ymm as a vmaskmovps mask (AVX2)
 *   abl_exp2_frac16, abl_exp2_8  2^f on 16 lanes (the sigmoid's), 2^u on 8
 *                           (ACmix's softmax): the same polynomial, AVX-512
 *   abl_sigmoid16, abl_silu16  SiLU / sigmoid on 16 lanes, AVX-512, no division
 *   abl_exp16               e^x on 16 lanes, AVX-512 (the folded softmaxes' masks)
 *   abl_dfl_chunk           Detect's DFL expectation over a run of pixels
 *   abl_softmax_cols        softmax down the rows of a [n][vl] block, per column
 *   abl_bn_act_rows         y = act(y * scale + shift) over a block of rows
 *   struct abl_conv_geom    geometry of one k x k convolution
 *   abl_im2col_tile         column panel of a run of output pixels
 *   abl_transpose           rows x cols block transposed (NCHW planes to
 *                           channels last), 8 x 8 in AVX registers
 */
#ifndef ABLATE_GEN_H
#define ABLATE_GEN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cblas.h>

/* 1 where the kernel is compiled for AVX-512 at full rate (two 512-bit
 * FMAs a cycle, as on Intel Xeons and AMD Zen 5 server parts), 0
 * elsewhere: Zen 4 splits each zmm FMA in two, so there eight-wide code
 * reaches the same peak with fewer split loads.  The harness measures it
 * (harness/fma_rate.c: zmm against ymm FMA throughput, once a process) and
 * passes -DABL_AVX512_FULL_RATE=0 or 1 on every kernel's compile line,
 * because gcc 12's -march=native names a Zen 5 znver3 and no compile-time
 * macro tells the two AMD parts apart.  The fallback below, for a kernel
 * compiled by hand, is the old proxy: any AVX-512 CPU not tuned as Zen 3/4. */
#if !defined(__AVX512F__) /* an AVX2 build (ABLATE_GEN_MARCH) on an AVX-512 CPU */
#undef ABL_AVX512_FULL_RATE
#define ABL_AVX512_FULL_RATE 0
#elif !defined(ABL_AVX512_FULL_RATE)
#if !defined(__znver3__) && !defined(__znver4__) && !defined(__tune_znver3__) &&                   \
    !defined(__tune_znver4__)
#define ABL_AVX512_FULL_RATE 1
#else
#define ABL_AVX512_FULL_RATE 0
#endif
#endif

/* 1 where the kernel is compiled for (or tuned to) an AMD Zen: gcc 12's
 * -march=native names a Zen 5 znver3, later gccs znver5.  For the few
 * choices where a full-rate path tuned on an Intel Xeon loses on a Zen 5
 * at the same shapes (ABL_DLKA_DW_CL_WMAX in ablate_dlka_dcnv3.h): the
 * rate alone does not tell the two apart. */
#if defined(__znver3__) || defined(__znver4__) || defined(__znver5__) ||                            \
    defined(__tune_znver3__) || defined(__tune_znver4__) || defined(__tune_znver5__)
#define ABL_CPU_ZEN 1
#else
#define ABL_CPU_ZEN 0
#endif
#ifdef __AVX__
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- BLAS */

/* Debian's OpenBLAS is the pthread build: left alone it would start its own
 * threads inside every sgemm that OpenMP threads call, oversubscribing the
 * cores.  Kernels call BLAS single-threaded inside their own OpenMP region,
 * so they make sure of it first (cheap when it is already 1). */
static inline void abl_blas_single_thread(void)
{
    if (openblas_get_num_threads() != 1)
        openblas_set_num_threads(1);
}

/* ------------------------------------------------------ BN and SiLU */

/* Folds BatchNorm2d (inference) into one multiply-add per element:
 *   bn(v) = (v - mean) / sqrt(var + eps) * gamma + beta = v * scale + shift
 *   scale = gamma / sqrt(var + eps),  shift = beta - mean * scale.
 * gamma, beta, mean, var are the four float BN tensors in state_dict order
 * (bn.weight, bn.bias, bn.running_mean, bn.running_var).  Computed in
 * double, as the reference does, then rounded once.  Cost: c square roots;
 * call it once per forward (per thread, into that thread's workspace, so
 * no barrier is needed). */
static inline void abl_bn_fold(int c, const float *gamma, const float *beta, const float *mean,
                               const float *var, double eps, float *scale, float *shift)
{
    for (int i = 0; i < c; i++) {
        double s = (double)gamma[i] / sqrt((double)var[i] + eps);
        scale[i] = (float)s;
        shift[i] = (float)((double)beta[i] - (double)mean[i] * s);
    }
}

/* e^x in float32 that gcc vectorises.  glibc's expf has no vector version
 * without -ffast-math, and a scalar call per output element costs more
 * than the rest of the epilogue.  Cephes' polynomial: x = k ln2 + r,
 * k = round(x / ln2), |r| <= ln2/2, degree-6 polynomial, 2^k from exponent
 * bits; max relative error about 2e-7 (measured against double exp).
 *
 * Written for gcc's vectoriser under the default -ftrapping-math, which
 * refuses to vectorise any float comparison, ?: on floats, floorf or
 * fminf/fmaxf: so |x| is clamped to 87 on the integer bit pattern (then
 * 2^k stays a normal float), and k is rounded with the 1.5 * 2^23 shifter.
 * NaN is clamped too (to +-87): e^NaN is finite here, but abl_silu(NaN)
 * is still NaN through its numerator, so poisoned outputs stay visible. */
static inline float abl_expf(float x)
{
    union {
        float f;
        int32_t i;
    } u = {.f = x};
    int32_t mag = u.i & INT32_MAX, sign = u.i & INT32_MIN;
    const int32_t max_mag = 0x42AE0000; /* bits of 87.0f; e^87 < FLT_MAX */
    mag = mag < max_mag ? mag : max_mag;
    u.i = mag | sign;
    x = u.f;
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float k = (x * 1.44269504088896341f + shifter) - shifter;
    float r = x - k * 0.693359375f; /* ln2 in two parts: k * hi is exact */
    r = r - k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union {
        int32_t i;
        float f;
    } two_k = {.i = ((int32_t)k + 127) << 23};
    return p * two_k.f;
}

/* SiLU(v) = v * sigmoid(v) = v / (1 + e^-v)  (MODULES.md 0.1). */
static inline float abl_silu(float v) { return v / (1.0f + abl_expf(-v)); }

#if defined(__AVX2__) && defined(__FMA__)
/* abl_silu on 8 lanes in registers, its steps written out as gcc
 * vectorises the scalar code (|x| clamped to 87 on the bit pattern, k by
 * the shifter in one multiply-add, Cephes' polynomial, 2^k from exponent
 * bits, then v / (1 + e^-v)): for the AVX2 register blocks that apply BN +
 * SiLU before their store (ablate_direct.h abl_direct8_block), the same
 * bits as abl_bn_act_rows's pass over y.  AKConv's AVX2 epilogues take the
 * faster abl_akc_silu8 (no division; other bits).  NaN stays NaN (the
 * numerator), +-inf stay +-inf. */
static inline __m256 abl_silu8(__m256 v)
{
    const __m256i bits = _mm256_castps_si256(_mm256_xor_ps(v, _mm256_set1_ps(-0.0f))); /* -v */
    const __m256i mag = _mm256_min_epi32(_mm256_and_si256(bits, _mm256_set1_epi32(INT32_MAX)),
                                         _mm256_set1_epi32(0x42AE0000)); /* |x| <= 87 */
    const __m256 x = _mm256_castsi256_ps(
        _mm256_or_si256(mag, _mm256_and_si256(bits, _mm256_set1_epi32(INT32_MIN))));
    const __m256 shifter = _mm256_set1_ps(12582912.0f);
    const __m256 k = _mm256_sub_ps(
        _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), shifter), shifter);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    /* p r r + r + 1 as the scalar line contracts: (p r) r + r fused, then + 1 */
    p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    const __m256i two_k = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvttps_epi32(k), _mm256_set1_epi32(127)), 23);
    const __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(two_k)); /* e^-v */
    return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
/* 2^u on vector lanes, shared by the SiLU / sigmoid epilogues below,
 * AKConv's AVX2 SiLU (ablate_akconv.h) and ACmix's softmax
 * (ablate_acmix.h): 2^u = 2^floor(u) * 2^f, f = u - floor(u) in [0, 1)
 * (vreduceps, one instruction, under AVX512DQ; vroundps and a
 * subtraction on AVX2, exact too), 2^f by a degree-5 polynomial
 * (relative-error minimax fit on [0, 1], 8.8e-8 in exact arithmetic; in
 * float with FMA Horner 1.7e-7, measured at every float of [-1, 1] and
 * sampled over [-20, 20]), 2^floor(u) applied by vscalefps with AVX-512
 * (no integer steps, no clamp: u below -150 gives 0, above 128 +inf), by
 * abl_ldexp8 on AVX2.  The coefficients, highest degree first. */
static const float abl_exp2_poly[6] = {1.8656508654e-03f, 9.0217962552e-03f, 5.5794752205e-02f,
                                       2.4016664387e-01f, 6.9315101434e-01f, 1.0f};

/* 2^f on 8 lanes for f in [0, 1) (a rounding either side is harmless):
 * the polynomial by FMA Horner. */
static inline __m256 abl_exp2_frac8(__m256 f)
{
    __m256 p = _mm256_set1_ps(abl_exp2_poly[0]);
    for (int i = 1; i < 6; i++)
        p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(abl_exp2_poly[i]));
    return p;
}

/* The first n lanes of a ymm (n in 0 .. 8; more: all 8) as a vmaskmovps
 * mask (sign bits set): the ragged end of a run of 8-float vectors. */
static inline __m256i abl_prefix8(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* p * 2^n for integral n (a float) where the product is a normal float:
 * n added to p's exponent bits, what vscalefps does for AVX-512 builds.
 * The caller keeps n in range (AKConv's SiLU clamps |v| to 87, ACmix's
 * softmax t at -126). */
static inline __m256 abl_ldexp8(__m256 p, __m256 n)
{
    return _mm256_castsi256_ps(
        _mm256_add_epi32(_mm256_castps_si256(p), _mm256_slli_epi32(_mm256_cvttps_epi32(n), 23)));
}
#endif

#ifdef __AVX512F__

/* u - floor(u), exact (vreduceps under AVX512DQ), on the vector width
 * whose intrinsics start with P (_mm512, _mm256) */
#ifdef __AVX512DQ__
#define ABL_FRAC(P, u) P##_reduce_ps(u, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
#else
#define ABL_FRAC(P, u) P##_sub_ps(u, P##_roundscale_ps(u, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC))
#endif

/* abl_frac16(u) = u - floor(u) and abl_exp2_frac16(f) = 2^f for f in
 * [0, 1) (a rounding either side is harmless) on 16 lanes: abl_exp2_frac8's
 * steps.  The sigmoid below adds its u_lo to f, so it applies 2^floor(u)
 * itself. */
static inline __m512 abl_frac16(__m512 u) { return ABL_FRAC(_mm512, u); }
static inline __m512 abl_exp2_frac16(__m512 f)
{
    __m512 p = _mm512_set1_ps(abl_exp2_poly[0]);
    for (int i = 1; i < 6; i++)
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(abl_exp2_poly[i]));
    return p;
}

#ifdef __AVX512VL__
/* 8 lanes (ACmix's softmax works on 8-column chunks): 2^u =
 * scalef(2^f, u) */
static inline __m256 abl_frac8(__m256 u) { return ABL_FRAC(_mm256, u); }

static inline __m256 abl_exp2_8(__m256 u) { return _mm256_scalef_ps(abl_exp2_frac8(abl_frac8(u)), u); }
#endif

/* SiLU and sigmoid on 16 lanes, for the epilogues that run on every output
 * element (abl_bn_act_rows, the Winograd output, Detect's sigmoid).  On
 * Zen 4 an epilogue is bound by its count of vector ops (about one zmm op
 * a cycle): abl_silu vectorised by gcc takes ~24 (and a vdivps), this
 * 20, with no division and no integer steps:
 *   v clamped to [-87, 87] (NaN -> 87: v * sigmoid(v) stays NaN, and
 *       +-inf stays +-inf), u = -v log2(e) as a float pair u + u_lo (FMA:
 *       the product's rounding and log2(e)'s own, so large |v| lose nothing);
 *   e^-v = 2^u: abl_exp2_frac16 of abl_frac16(u) + u_lo, scaled by
 *       2^floor(u) (vscalefps);
 *   sigmoid = 1 / (1 + e^-v): vrcp14ps (relative error < 2^-14), one Newton
 *       step r' = r + r (1 - d r) (error ~ 2^-28).
 * Measured against double precision, every 16th float of [-90, 90]: the
 * SiLU's largest relative error is 2.5e-7 over [-80, 90]
 * (abl_silu's 1.7e-7), largest absolute error 1.3e-6 (results near 90,
 * one rounding); below -80
 * both are about 0 (absolute error < 1e-33).  NaN -> NaN, +-inf -> +-inf
 * as abl_silu. */
/* sigmoid(v) = 1 / (1 + e^-v) on 16 lanes (see abl_silu16). */
static inline __m512 abl_sigmoid16(__m512 v)
{
    const __m512 one = _mm512_set1_ps(1.0f), nlog2e = _mm512_set1_ps(-1.44269504088896341f);
    const __m512 vc = _mm512_max_ps(_mm512_min_ps(v, _mm512_set1_ps(87.0f)), _mm512_set1_ps(-87.0f));
    const __m512 u = _mm512_mul_ps(vc, nlog2e);
    /* the product's rounding error and that of log2(e) in float */
    const __m512 lo = _mm512_fmadd_ps(vc, _mm512_set1_ps(-1.925963e-8f), _mm512_fmsub_ps(vc, nlog2e, u));
    const __m512 p = abl_exp2_frac16(_mm512_add_ps(abl_frac16(u), lo));
    const __m512 d = _mm512_add_ps(one, _mm512_scalef_ps(p, u)); /* 1 + e^-v */
    const __m512 rc = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(rc, _mm512_fnmadd_ps(d, rc, one), rc);
}

static inline __m512 abl_silu16(__m512 v) { return _mm512_mul_ps(v, abl_sigmoid16(v)); }

/* e^x on 16 lanes: t = x log2(e) as a float pair t + lo (the product's
 * rounding and log2(e)'s own, as abl_sigmoid16), 2^t = abl_exp2_frac16
 * of frac(t) + lo scaled by 2^floor(t) (vscalefps: +inf and 0 past the
 * float range, NaN kept).  The masks e^x of the plans that fold a softmax
 * (DCNv3's point-major plan, the D-LKA layers' gc8 / gc16 plans). */
static inline __m512 abl_exp16(__m512 x)
{
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    const __m512 t = _mm512_mul_ps(x, log2e);
    const __m512 lo =
        _mm512_fmadd_ps(x, _mm512_set1_ps(1.925963e-8f), _mm512_fmsub_ps(x, log2e, t));
    return _mm512_scalef_ps(abl_exp2_frac16(_mm512_add_ps(abl_frac16(t), lo)), t);
}

/* p[16 k + j] <- e^(p[16 k + j] - mx_j) for k < n, given m2 = mx log2(e)
 * (2^t by abl_exp2_frac16 and vscalefps; no clamp: t <= 0 when mx is the
 * column's maximum); returns each column's sum.  The exponential step of
 * ACmix's 16-column softmax and of DCNv3's mask softmax. */
static inline __m512 abl_exp_sub_rows16(float *p, int n, __m512 m2)
{
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    __m512 sum = _mm512_setzero_ps();
    for (int k = 0; k < n; k++) {
        const __m512 t = _mm512_fmsub_ps(_mm512_loadu_ps(p + 16 * k), log2e, m2);
        const __m512 e = _mm512_scalef_ps(abl_exp2_frac16(abl_frac16(t)), t);
        _mm512_storeu_ps(p + 16 * k, e);
        sum = _mm512_add_ps(sum, e);
    }
    return sum;
}
#endif

enum { ABL_DFL_CHUNK = 64 }; /* most pixels one abl_dfl_chunk call takes */

/* d[t] = sum_r rw[r] * softmax_r(bins[r * step + t]) for t < n <= ABL_DFL_CHUNK,
 * r < reg: Detect's DFL expectation of n pixels, vectorised across pixels.
 * Shared by the generated Detect (templates/detect_gemm.c.in) and the
 * harness's oneDNN Detect (harness/onednn_detect.c). */
static inline void abl_dfl_chunk(const float *bins, ptrdiff_t step, const float *rw, int reg, int n,
                                 float *d)
{
    float m[ABL_DFL_CHUNK], z[ABL_DFL_CHUNK] = {0}, e[ABL_DFL_CHUNK] = {0};
    for (int t = 0; t < n; t++)
        m[t] = bins[t];
    for (int r = 1; r < reg; r++)
#pragma omp simd
        for (int t = 0; t < n; t++)
            m[t] = bins[r * step + t] > m[t] ? bins[r * step + t] : m[t];
    for (int r = 0; r < reg; r++)
#pragma omp simd
        for (int t = 0; t < n; t++) {
            float p = abl_expf(bins[r * step + t] - m[t]);
            z[t] += p;
            e[t] += p * rw[r];
        }
    for (int t = 0; t < n; t++)
        d[t] = e[t] / z[t];
}

/* p[k*vl + i] <- e^(p[k*vl + i] - max_k p[.][i]) for k < n, and
 * scale[i] <- num / sum_k (the normalisation, folded into whatever the
 * caller multiplies by; ACmix passes rate1, DCNv3's softmax of 16 pixels
 * as lanes 1).  vl <= 16 columns.  The max vectorises only without
 * -ftrapping-math (the ACmix template turns it off). */
static inline void abl_softmax_cols(float *p, int n, int vl, float num, float *scale)
{
    float mx[16], sum[16];
#pragma omp simd
    for (int i = 0; i < vl; i++) {
        mx[i] = p[i];
        sum[i] = 0.0f;
    }
    for (int k = 1; k < n; k++)
#pragma omp simd
        for (int i = 0; i < vl; i++)
            mx[i] = p[k * vl + i] > mx[i] ? p[k * vl + i] : mx[i];
    for (int k = 0; k < n; k++)
#pragma omp simd
        for (int i = 0; i < vl; i++) {
            p[k * vl + i] = abl_expf(p[k * vl + i] - mx[i]);
            sum[i] += p[k * vl + i];
        }
#pragma omp simd
    for (int i = 0; i < vl; i++)
        scale[i] = num / sum[i];
}

/* The fused epilogue of a conv tile: for rows r < rows (output channels)
 * and columns t < np (pixels),
 *   y[r * ldy + t] = act(y[r * ldy + t] * scale[r] + shift[r]),
 * act = SiLU when `act` is non-zero, identity otherwise.  Call it on the
 * tile sgemm has just written, while it is still in cache. */
static inline void abl_bn_act_rows(float *y, int rows, int np, ptrdiff_t ldy, const float *scale,
                                   const float *shift, int act)
{
#ifdef __AVX512F__
    if (act) { /* abl_silu16: no division */
        const __mmask16 tail = (__mmask16)((1u << (np % 16)) - 1);
        for (int r = 0; r < rows; r++) {
            float *row = y + r * ldy;
            const __m512 sc = _mm512_set1_ps(scale[r]), sh = _mm512_set1_ps(shift[r]);
            int t = 0;
            for (; t + 16 <= np; t += 16)
                _mm512_storeu_ps(row + t, abl_silu16(_mm512_fmadd_ps(_mm512_loadu_ps(row + t), sc, sh)));
            if (tail)
                _mm512_mask_storeu_ps(row + t, tail,
                                      abl_silu16(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, row + t),
                                                                 sc, sh)));
        }
        return;
    }
#endif
    for (int r = 0; r < rows; r++) {
        float *row = y + r * ldy;
        const float sc = scale[r], sh = shift[r];
        if (act) {
#pragma omp simd
            for (int t = 0; t < np; t++)
                row[t] = abl_silu(row[t] * sc + sh);
        } else {
#pragma omp simd
            for (int t = 0; t < np; t++)
                row[t] = row[t] * sc + sh;
        }
    }
}

/* ------------------------------------------------------------- im2col */

/* One convolution's geometry: input c x h x w (one image, the channels of
 * one group), kernel kh x kw, stride, padding, dilation; output ho x wo.
 * Out-of-range input is zero (MODULES.md 0.1, Conv2d). */
struct abl_conv_geom {
    int c, h, w;
    int kh, kw, sh, sw, ph, pw, dh, dw;
    int ho, wo;
};

/* First output column whose input column ox * sw - pw + off is >= 0, and one
 * past the last whose input column is < w; lo may exceed hi (no valid
 * column). */
static inline void abl_valid_cols(int w, int sw, int pw, int off, int wo, int *lo, int *hi)
{
    int first = pw - off; /* smallest ox * sw allowed */
    int l = first <= 0 ? 0 : (first + sw - 1) / sw;
    int last = w - 1 + pw - off; /* largest ox * sw allowed */
    int h = last < 0 ? 0 : last / sw + 1;
    *lo = l < wo ? l : wo;
    *hi = h < wo ? h : wo;
}

/* One row segment of a column-panel row: dst[t] for output columns
 * ox0 .. ox0 + n - 1 of one output row, reading input row `src` (NULL when
 * the input row is in the padding) at columns ox * sw - pw + off. */
static inline void abl_im2col_segment(float *restrict dst, const float *restrict src, int w, int sw,
                                      int pw, int off, int wo, int ox0, int n)
{
    if (!src) {
        memset(dst, 0, (size_t)n * sizeof *dst);
        return;
    }
    int lo, hi;
    abl_valid_cols(w, sw, pw, off, wo, &lo, &hi);
    lo = lo < ox0 ? ox0 : lo > ox0 + n ? ox0 + n : lo;
    hi = hi > ox0 + n ? ox0 + n : hi < lo ? lo : hi;
    for (int ox = ox0; ox < lo; ox++)
        dst[ox - ox0] = 0.0f;
    const int shift = off - pw; /* input column of output column ox: ox * sw + shift */
#pragma omp simd
    for (int ox = lo; ox < hi; ox++)
        dst[ox - ox0] = src[ox * sw + shift];
    for (int ox = hi; ox < ox0 + n; ox++)
        dst[ox - ox0] = 0.0f;
}

/* Column panel of a run of output pixels, the B operand of the conv GEMM
 * y[o][p] = sum_k wt[o][k] * col[k][p]:
 *
 *   col[k * ldcol + t] = x[ci][oy * sh - ph + u * dh][ox * sw - pw + v * dw]
 *   k = (ci * kh + u) * kw + v   (PyTorch's weight order (cout, cin/g, kh, kw)),
 *   pixel p0 + t = oy * wo + ox, t < np   (a run may span several rows),
 *
 * zero where the input position is outside the image.  x points at channel
 * 0 of the group in one image (c x h x w, contiguous); col has g.c * kh * kw
 * rows of ldcol >= np floats.  Panel of a tile of TILE pixels:
 * abl_im2col_tile(g, x, p0, TILE, col, TILE); the GEMM then reads it with
 * ldb = TILE.  AKConv's p_conv (3 x 3, stride s, pad 1) uses it as is. */
static inline void abl_im2col_tile(const struct abl_conv_geom g, const float *restrict x, int p0,
                                   int np, float *restrict col, ptrdiff_t ldcol)
{
    for (int ci = 0; ci < g.c; ci++) {
        const float *xc = x + (ptrdiff_t)ci * g.h * g.w;
        for (int u = 0; u < g.kh; u++) {
            float *dst_u = col + (ptrdiff_t)(ci * g.kh + u) * g.kw * ldcol; /* row k for v = 0 */
            int oy = p0 / g.wo, ox = p0 % g.wo;
            for (int t = 0, run; t < np; t += run, oy++, ox = 0) {
                /* the part of output row oy inside the run; input row iy
                 * serves every v */
                run = g.wo - ox < np - t ? g.wo - ox : np - t;
                int iy = oy * g.sh - g.ph + u * g.dh;
                const float *src = iy >= 0 && iy < g.h ? xc + (ptrdiff_t)iy * g.w : NULL;
                float *dst = dst_u + t;
                if (run == g.wo) /* a whole row: constant bounds, straight-line code */
                    for (int v = 0; v < g.kw; v++)
                        abl_im2col_segment(dst + v * ldcol, src, g.w, g.sw, g.pw, v * g.dw, g.wo,
                                           0, g.wo);
                else
                    for (int v = 0; v < g.kw; v++)
                        abl_im2col_segment(dst + v * ldcol, src, g.w, g.sw, g.pw, v * g.dw, g.wo,
                                           ox, run);
            }
        }
    }
}

/* ------------------------------------------------------ transpose */

#ifdef __AVX__
/* One 8 x 8 block: d[j * ld + i] = s[i * ls + j]. */
static inline __attribute__((always_inline)) void abl_transpose8x8(const float *s, ptrdiff_t ls, float *d, ptrdiff_t ld)
{
    __m256 r[8], t[8], u[8];
    for (int k = 0; k < 8; k++)
        r[k] = _mm256_loadu_ps(s + k * ls);
    for (int k = 0; k < 8; k += 2) {
        t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
    }
    for (int k = 0; k < 8; k += 4) {
        u[k] = _mm256_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_ps(d + k * ld, _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
        _mm256_storeu_ps(d + (k + 4) * ld, _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
    }
}
#endif

/* dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols: e.g. rows =
 * channels of one image row (lds = H W), cols = its pixels, dst channels
 * last (ldd = channels).  A scalar loop does one strided store per float;
 * 8 x 8 blocks through registers (AVX) store whole vectors. */
static inline void abl_transpose(const float *restrict src, ptrdiff_t lds, float *restrict dst,
                                 ptrdiff_t ldd, int rows, int cols)
{
    int rows8 = 0, cols8 = 0;
#ifdef __AVX__
    rows8 = rows / 8 * 8;
    cols8 = cols / 8 * 8;
    for (int i = 0; i < rows8; i += 8)
        for (int j = 0; j < cols8; j += 8)
            abl_transpose8x8(src + i * lds + j, lds, dst + j * ldd + i, ldd);
#endif
    for (int i = 0; i < rows; i++) /* what the blocks left: the right and bottom edges */
        for (int j = i < rows8 ? cols8 : 0; j < cols; j++)
            dst[j * ldd + i] = src[i * lds + j];
}

#ifdef __AVX512F__
/* r[p][c] -> r[c][p]: a 16 x 16 block transposed in registers (16
 * unpacks, 16 in-lane shuffles, 32 128-bit shuffles). */
static inline __attribute__((always_inline)) void abl_t16x16(__m512 r[16])
{
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xDD);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xDD);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xDD);
    }
}

/* dst[j * ldd + i] = src[i * lds + j] for i < rows (a multiple of 16) and
 * j < cols: abl_transpose in 16 x 16 zmm blocks, whole 64-byte rows
 * loaded and stored; the columns past the last 16 by abl_transpose.  A
 * copy: the same floats.  AKConv's staging of x (akconv_direct.c.in) and
 * DCNv3's two transposes (dcnv3_fused.c.in's core for output_proj,
 * abl_ln_gelu_row's rows), where abl_transpose's 8 x 8 ymm blocks moved
 * half lines both ways. */
static inline void abl_transpose_zmm(const float *restrict src, ptrdiff_t lds, float *restrict dst,
                                     ptrdiff_t ldd, int rows, int cols)
{
    const int cols16 = cols / 16 * 16;
    for (int i = 0; i < rows; i += 16)
        for (int j = 0; j < cols16; j += 16) {
            __m512 r[16];
#pragma GCC unroll 16
            for (int p = 0; p < 16; p++)
                r[p] = _mm512_loadu_ps(src + (i + p) * lds + j);
            abl_t16x16(r);
#pragma GCC unroll 16
            for (int c = 0; c < 16; c++)
                _mm512_storeu_ps(dst + (j + c) * ldd + i, r[c]);
        }
    if (cols16 < cols)
        abl_transpose(src + cols16, lds, dst + cols16 * ldd, ldd, rows, cols - cols16);
}
#endif

#endif
