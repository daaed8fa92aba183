-- gen/akconv.lua — generator of AKConv kernels (MODULES.md 5.1).
--
-- Lua computes what is fixed for a configuration (output size, the initial
-- sampling shape p_n, tile and chunk sizes) and renders one of two
-- schedules; the templates derive their workspace layout from those
-- constants in C, where it can be read next to the code that uses it.
--
--   gemm   channels-last copy of x, vector gathers over channels, p_conv and
--          the column conv as OpenBLAS sgemm on pixel tiles, fused BN+SiLU
--          epilogue (templates/akconv_gemm.c.in)
--   direct the gemm schedule with both products as register-blocked direct
--          convolutions (ablate_dlka_offsets.h's micro-kernel, output
--          channels as the vector dimension) over a padded channels-last
--          copy and the sample panel: no im2col, no sgemm packing
--          (templates/akconv_direct.c.in)
--   fused  no copy, no BLAS: tiles of 16 or 32 pixels sampled straight from
--          NCHW into an L1 panel that a register-blocked micro-kernel
--          consumes at once (templates/akconv_fused.c.in)
local T = require "template"
local U = require "util"
local int = U.int
local round_up = U.round_up
local clamp = U.clamp
local cdouble = U.cdouble

-- `ablate model --bench` times every variant per layer and keeps the
-- fastest (pick_by_timing, harness/variant_pick.c): which one wins
-- depends on the shape and the threads (gemm or fused won some 2-thread
-- rows at L7 and L19 before the direct changes of issue 19).  Elsewhere
-- (and without the pick) the first is used: direct, the fastest at
-- every row of the issue-19 sweep slice (docs/modules/performance.md).
local M = { version = 2, variants = { "direct", "gemm", "fused" }, pick_by_timing = true }

-- Initial sampling shape p_n (MODULES.md 5.1 step 2), the same integer
-- formula as kernels/akconv.c akconv_p_n.  Returns two 0-based lists.
local function p_n(N, grid)
  local b = 0
  while (b + 1) * (b + 1) <= N do b = b + 1 end
  local base = b + ((N > b * b + b) and 1 or 0)
  local rows, mod = N // base, N % base
  local pr, pc = {}, {}
  for n = 0, rows * base - 1 do
    if grid == "ij" then
      pr[n + 1], pc[n + 1] = n // base, n % base
    else
      pr[n + 1], pc[n + 1] = n % rows, n // rows
    end
  end
  for m = 0, mod - 1 do
    pr[rows * base + m + 1], pc[rows * base + m + 1] = rows, m
  end
  return pr, pc
end




-- Shapes shared by both schedules.
local function shapes(cfg)
  local a = cfg.args
  local s = {
    B = int(cfg.input.n), C = int(a.inc), H = int(cfg.input.h), W = int(cfg.input.w),
    OUTC = int(a.outc), N = int(a.num_param), S = int(a.stride),
    BIAS = int(a.bias), GRID = a.grid or "ij", EPS = cdouble(a.bn_eps or 1e-5),
  }
  assert(s.C == int(cfg.input.c), "AKConv: input channels differ from inc")
  assert(s.N >= 1, "AKConv: num_param must be >= 1")
  assert(s.S >= 1, "AKConv: stride must be >= 1")
  assert(s.GRID == "ij" or s.GRID == "xy", "AKConv: grid must be ij or xy")
  s.HO, s.WO = (s.H - 1) // s.S + 1, (s.W - 1) // s.S + 1
  s.P = s.HO * s.WO
  s.PN_ROW, s.PN_COL = p_n(s.N, s.GRID)
  return s
end

-- gemm: pixel tiles.  Large tiles amortise sgemm's packing of the weights
-- (repacked on every call, i.e. every tile): the sample panel (N*inc floats
-- per pixel) may fill about 512 KiB, up to 512 pixels per tile (measured
-- on 128->256 at 40x40: 200-pixel tiles 20 % faster than 52).  The tile
-- count is then made even (two threads get equal work) and the pixels
-- are split evenly, TILE a multiple of 4: a 40x40 map (400 pixels) gives
-- 2 tiles of 200, not tiles of 204 and 196 or 2 + 1.
--
-- p_conv's sgemm (M = pixels, N = 2N offsets, K = 9 inc) is padded to N =
-- 16 when 2N is 10..14 and to 32 when 2N is 26..30: OpenBLAS's kernel
-- (Cooperlake and Haswell alike) runs those widths in more time than the
-- padded ones (460 x N x 288 on the AVX-512 EPYC: N = 10 52 us, 16 49 us;
-- N = 26 92 us, 32 89 us; docs/modules/performance.md).
-- The tile of at most about t_max pixels that splits each image's P pixels
-- evenly into a tile count that is even over the batch (two threads get
-- equal work), a multiple of 4 pixels within [lo, hi].
local function even_tiles(s, t_max, lo, hi)
  local nt = (s.P + t_max - 1) // t_max
  if s.B * nt < 2 then nt = 2 end
  if (s.B * nt) % 2 == 1 then nt = nt + 1 end
  return clamp(round_up((s.P + nt - 1) // nt, 4), lo, hi)
end

local function gemm_plan(s)
  local noff = 2 * s.N
  if noff >= 10 and noff <= 14 then noff = 16 elseif noff >= 26 and noff <= 30 then noff = 32 end
  s.NOFF = noff
  s.TILE = even_tiles(s, clamp((512 * 1024 // 4) // (s.N * s.C), 16, 512), 4, 512)
end

-- fused: tiles of NSUB panels of 16 pixels (one AVX-512 vector, two AVX2
-- vectors).  Two panels per tile let a micro-kernel's block of weights
-- serve 32 pixels from L1 (a few % faster from 80x80 up); small maps keep
-- 16-pixel tiles so that two threads still get balanced work (a 20x20 map
-- is 25 tiles of 16 but only 13 of 32).  Channel chunks are sized so a
-- panel chunk is at most 16 KiB (half of L1d).
local function fused_plan(s)
  s.NSUB = (s.B * s.P >= 16 * 32) and 2 or 1
  s.TW = 16 * s.NSUB
  s.CB_OFF = clamp(4096 // (9 * s.TW), 1, s.C)
  s.CB_COL = clamp(4096 // (s.N * s.TW), 1, s.C)
end

-- direct: outputs in chunks of MB vectors of vl floats, P pixels at a
-- time, P x MB accumulators within a register budget: 24 of AVX-512's 32
-- registers, 12 of AVX2's 16 (the weights are FMA memory operands, one more
-- register holds the broadcast pixel).  With AVX-512 vectors of 16 where
-- the width allows (a 64-wide column conv: 6 x 4 of 16 rather than 3 x 8
-- of 8, half the instructions and weight loads per FMA lane).  The last
-- chunk takes what is left.
local function chunks(width, mb_max, budget, vl)
  local out, m0 = {}, 0
  if width % vl ~= 0 then vl = 8 end
  local mb = math.min(mb_max * 8 // vl, width // vl)
  local p = clamp(budget // mb, 1, 12)
  while m0 < width do
    local this = math.min(mb, (width - m0) // vl)
    out[#out + 1] = { m0 = m0, mb = this, p = p, vl = vl }
    m0 = m0 + this * vl
  end
  return out
end

-- direct: tiles sized so that a tile's sample panel and accumulators
-- (TILE x (N*inc + outc) floats) stay within about 384 KiB of the 1 MiB
-- L2, an even tile count as in gemm_plan, the pixels split evenly with
-- TILE a multiple of 4.  (A multiple of 12, so that the micro-kernels'
-- pixel blocks divide it, gave 40x40 maps 4 tiles of 108 for 400 pixels:
-- 216 vs 184 pixels for two threads; the last block of a tile may run
-- past it, into the ROWS_PAD spare rows, repeating its last pixel.)
--
-- p_conv has only 2N outputs, so its output-vector micro-kernel fills a
-- vector of 8 (2N <= 8) or 16 lanes with 2N: at num_param 1 three quarters
-- of its FMA lanes are padding and p_conv took two thirds of the column
-- conv's time for a seventh of its FLOPs (L5: 28 % of the kernel, column
-- conv 41 %).  With AVX-512 and INC a
-- multiple of 16 it can instead run as dot products along the channels
-- (every lane useful; one horizontal sum per pixel and offset), which
-- wins when the reduction per output is long enough to pay for that sum.
-- Cost per pixel in 16-lane FMAs (a ymm FMA is half of one on Zen 4):
-- vectors 9 INC x (OFFP / 16, or 1/2 when OFFP is 8); dots 2N x (9 INC /
-- 16 + HSUM), HSUM the horizontal sum's share.  The dots are kept when 7 %
-- cheaper and at least two pixels share each weight vector (2N <= 12;
-- PCV_DOT_P pixels per block, up to 24 accumulators).  First calibrated on
-- four rows with HSUM = 8 (1 thread, Zen 4; ms, vectors -> dots): L5
-- num_param 1 0.56 -> 0.43, L3 num_param 5 2.40 -> 2.20, L5 num_param 3
-- 1.09 -> 1.06; L7 num_param 4 1.19 either way, L7 num_param 7 (2N = 14,
-- one pixel per block) 2.08 -> 2.22.  Checked on 20 more rows (the same
-- kernel built both ways, alternated twice, docs/modules/performance.md,
-- 2026-12-05 fourth pass): dots were 4-11 % faster where HSUM = 8 chose
-- vectors at inc 16 (num_param 2, 3, 5) and inc 32 (num_param 3), a tie at
-- inc 32 num_param 6, within 3 % either way at inc >= 64, num_param >= 3;
-- vectors won only where OFFP = 2N (num_param 4: inc 32 1.07, inc 64
-- 0.97-0.99).  HSUM = 2 gives those choices (the rows within 3 % excepted).
--
-- Full-rate AVX-512 (Intel: ABL_AVX512_FULL_RATE, ablate_gen.h) issues a
-- ymm FMA in the slot of a zmm one, so there the vectors cost 9 INC x
-- OFFP / 8 when OFFP is not a multiple of 16 (vectors of 8), not half
-- that: the one row that changes is 2N = OFFP = 8 (num_param 4), dots
-- there too (PCV_DOT_FR; the template picks by the compiler's target).
-- Measured (Intel Xeon, 1 thread, phase timers, L3 32->64 @160²): p_conv
-- 432 us at num_param 4 as vectors against 245 / 381 us at 3 / 5 as dots
-- (docs/modules/perf_akconv.md, third Intel pass).
local PCV_DOT_HSUM = 2
local function pconv_dot_plan(s)
  local ok = s.C % 16 == 0 and 2 * s.N <= 12
  local dot = 2 * s.N * (9 * s.C / 16 + PCV_DOT_HSUM)
  local vec_hr = 9 * s.C * (s.OFFP <= 8 and 0.5 or s.OFFP / 16)
  local vec_fr = 9 * s.C * (s.OFFP % 16 == 0 and s.OFFP / 16 or s.OFFP / 8)
  s.PCV_DOT = (ok and dot < 0.93 * vec_hr) and 1 or 0
  s.PCV_DOT_FR = (ok and dot < 0.93 * vec_fr) and 1 or 0
  s.PCV_DOT_P = clamp(24 // (2 * s.N), 1, 8)
  -- AVX2 (8-lane vectors, 16 ymm; PCV_DOT8, the template's pconv_dot8):
  -- dots 8 channels an FMA against vectors of 8 outputs, 9 INC x OFFP / 8
  -- FMAs a pixel; PCV_DOT8_P pixels a block, their 2N sums in at most 12
  -- registers.  Only where all the dots' weights (2N x 9 x INC floats,
  -- read again for every pixel block) fit in L1 (28 KiB, as
  -- ABL_OFF_BLOCK_BYTES): at inc 128 num_param 5 (45 KiB) the dots were
  -- 3-5 % slower than the vectors, which block the taps (Zen 3; at inc 64
  -- num_param 5, 23 KiB, 5 % faster).
  local dot8 = 2 * s.N * (9 * s.C / 8 + PCV_DOT_HSUM)
  local vec8 = 9 * s.C * s.OFFP / 8
  local fits_l1 = 2 * s.N * 9 * s.C * 4 <= 28 * 1024
  s.PCV_DOT8 = (s.C % 8 == 0 and 2 * s.N <= 12 and fits_l1 and dot8 < 0.93 * vec8) and 1 or 0
  -- Up to 4 offsets the weights stay in registers beside the sums and one
  -- pixel vector (PD x 2N + 2N + 1 <= 16: 6 pixels at num_param 1, 2 at
  -- 2); 3 x 4 at num_param 2 left gcc one register short: it folded the
  -- weights into the FMAs and loaded the pixels again (18 loads per 12
  -- FMAs), 2 x 4 took 4 % off L5 and 3 % off L3 num_param 2 (Zen 3).
  local fit = (15 - 2 * s.N) // (2 * s.N)
  s.PCV_DOT8_P = clamp(2 * s.N <= 4 and fit or 12 // (2 * s.N), 1, 6)
end

-- direct: the column conv written straight into NCHW y (COL_NCHW,
-- ablate_akconv.h: output channels x pixel vectors in registers, BN + SiLU
-- there, 64-byte stores along y's rows) instead of channels in the lanes
-- and a transposing epilogue, where the reduction N*inc is at most 32.
-- Measured (1 thread, Zen 4, the same kernel both ways alternated,
-- docs/modules/performance.md, sixth pass): L3 32->64 @160² num_param 1
-- (K = 32, y 1.6 MB, past L2) 5-10 % faster, L1 16->32 @320² num_param 1
-- and 2 (K = 16, 32) 14 and 10 %; at K = 64 a tie (L3
-- num_param 2, L5 num_param 1) or 2-3 % slower (L16 num_param 1), at
-- K = 128-384 10-40 % slower (L7, L19): there the channels-in-lanes
-- micro-kernel with its L1 weight blocks is the better product, and the
-- transposing epilogue is a small part.  With full-rate AVX-512 (Intel,
-- COL_NCHW_FR; the template picks by the compiler's target) K = 64 too:
-- there the transposing epilogue, writing y (1.6 MB at L3) out of L2
-- through 8 x 8 transposes, costs more against the product (Intel Xeon,
-- akconv_ab, with this pass's p_conv changes on both sides: L3 num_param
-- 2 0.94-0.95x the time at 1 thread, 0.90-0.91x at 2; L16 num_param 1
-- 0.86-0.91x, 0.86-0.89x; K = 96 and up no faster or slower: L3 num_param
-- 3 and 5, L16 num_param 5 1.01-1.16x; docs/modules/perf_akconv.md, third
-- Intel pass).  At full rate only where the column conv with its fused
-- epilogue (col_fused_plan, below) is not offered: that one was 5-9 %
-- faster than this at K = 32 and 64 too (fourth Intel pass).
local COL_NCHW_MAX_K = 32
local COL_NCHW_MAX_K_FR = 64
-- AVX2 (COL_NCHW8: ablate_akconv.h's 8-lane abl_akc_col_nchw, 4 channels
-- x 24 pixels, BN + SiLU on the registers): on a Zen 3 0.94-0.95x the
-- time at K = 32 and 64 (L3 num_param 1-2, L5 num_param 1; L16 num_param
-- 1 0.99x), at K = 128 0.92x at L19 num_param 1 but 1.46x at L5 num_param
-- 2 (docs/modules/perf_akconv.md, Zen 3 section).
local COL_NCHW_MAX_K_AVX2 = 64
local function col_nchw_plan(s)
  s.COL_NCHW = (s.N * s.C <= COL_NCHW_MAX_K) and 1 or 0
  s.COL_NCHW8 = (s.N * s.C <= COL_NCHW_MAX_K_AVX2) and 1 or 0
  s.COL_NCHW_FR = (s.N * s.C <= COL_NCHW_MAX_K_FR and s.COL_FUSED_FR == 0) and 1 or 0
end

-- direct: the channels-in-lanes column conv with BN + SiLU and the
-- transposes into y in its registers (COL_FUSED, ablate_akconv.h
-- abl_akc_col_fused: blocks of 8 pixels x 32 channels) instead of the
-- 6 x 64 micro-kernel and an epilogue pass over acc, or the column conv
-- into NCHW (COL_NCHW_FR, K <= 64), where the output channels are a
-- multiple of 16; the template uses it with full-rate AVX-512 only.
-- Measured there (Intel Xeon, akconv_ab, 1 thread; docs/modules/
-- perf_akconv.md, fourth Intel pass): L3 32->64 @160² num_param 3-5
-- 0.94-0.96x the time of the micro-kernel and epilogue pass, num_param
-- 1-2 0.91-0.94x that of the column conv into NCHW; L16 num_param 1
-- 0.91-0.95x, 2 0.90x, 3-5 0.97-1.03x.
-- Only up to 64 output channels: at L5 (64 -> 128), L7 (128 -> 256) and
-- L19 (128 -> 128) it took 1.2-1.5x the time of the paths it replaced
-- (the lead's sweeps after the merge: L7 num_param 3 eff 0.90 -> 0.60,
-- L19 num_param 2-3 0.82-0.89 -> 0.57-0.59); measured on L3 and L16
-- (64 channels) only before.
local COL_FUSED_MAX_OUTC = 64
local function col_fused_plan(s)
  s.COL_FUSED_FR = (s.OUTC % 16 == 0 and s.OUTC <= COL_FUSED_MAX_OUTC) and 1 or 0
end
-- direct: the epilogue pass (acc[pixel][OUTCP] into NCHW y, BN + SiLU)
-- in 16 x 16 blocks transposed in zmm registers, BN + SiLU after the
-- transpose, 64-byte stores (EPI16, ablate_akconv.h
-- abl_akc_bn_silu_t16x16) instead of BN + SiLU on acc's rows and 8 x 8
-- transposes with 32-byte stores; output channels a multiple of 16, the
-- template uses it with full-rate AVX-512 only.  Measured there (Intel
-- Xeon, akconv_ab, same bits; docs/modules/perf_akconv.md, seventh Intel
-- pass): L5 64->128 @80² num_param 2 0.81-0.84x the time at 1 and 2
-- threads, num_param 3 and 5 0.89-0.94x, L19 128->128 @40² num_param 1
-- 0.88-0.92x, L7 128->256 @40² num_param 4 0.94-0.98x; in the sweep A/B
-- L5 num_param 2 eff 0.62 -> 0.75-0.76 at 1 thread.
local function epi16_plan(s)
  s.EPI16_FR = (s.OUTC % 16 == 0) and 1 or 0
end
-- direct: the gather's corner sums in zmm registers, 16 channels at a
-- time (GATHER16, akconv_direct.c.in), where inc is a multiple of 16; the
-- template uses it with full-rate AVX-512 only.  Measured there (Intel
-- Xeon, phase timers, same bits; docs/modules/perf_akconv.md, eighth
-- Intel pass): L3 32->64 @160² the gather 240 -> 200 us at num_param 5 and
-- 146 -> 122 us at num_param 3, 1 thread.
local function gather16_plan(s)
  s.GATHER16_FR = (s.C % 16 == 0) and 1 or 0
end
-- direct: the copy of x into XP's rows in 16 x 16 zmm blocks (STAGE16,
-- akconv_direct.c.in) where inc and the width are multiples of 16 (then
-- every row of x starts on a 64-byte line and each zmm load is one line);
-- the template uses it with full-rate AVX-512 only.  Measured there (Intel
-- Xeon, same bits; docs/modules/perf_akconv.md, ninth Intel pass): the
-- copy at L3 32->64 @160² 258 -> 230 us at 1 thread; at width 40 (L7,
-- L19: rows of 160 bytes, every other one split across lines) L19
-- num_param 1 took 8-12 % longer, so not there.
local function stage16_plan(s)
  s.STAGE16_FR = (s.C % 16 == 0 and s.W % 16 == 0) and 1 or 0
end
-- direct, full-rate AVX-512 only (TILE_FR; the template picks by the
-- compiler's target, as COL_FUSED_FR) and with XP's ring of rows only (the
-- template's TILE_RING; a run-time choice, by the thread count): where the
-- column conv writes y from its registers (COL_FUSED_FR, or COL_NCHW_FR)
-- and N*inc <= 128, tiles of about TILE_FR_ROWS output rows instead of the
-- L2-sized ones above, the count even as there.  Measured (Intel Xeon, akconv_ab, 1 thread, the
-- kernel with only TILE changed; docs/modules/perf_akconv.md, fifth Intel
-- pass): L16 64->64 @80² num_param 1 400 -> 136 pixels 0.94x the time,
-- num_param 2 0.94-0.96x; L5 64->128 num_param 1 (into NCHW) 0.95x;
-- L3 32->64 @160² (268 for 460) and L16 num_param 3 (N*inc 192) within
-- 1-3 %.  Not where the column conv goes through acc (L5 num_param 2-3,
-- outc 128: 136-pixel tiles 1.10-1.18x the time), nor on Zen 4 or AVX2
-- (not measured there).  That pass's sweep A/B (Intel Xeon model 167) had
-- L16 slower and the rule was reverted; on the model 207 Xeon (tenth Intel
-- pass) the CPU-time A/B and the sweeps agree: L16 num_param 1-2 and L5
-- num_param 1 0.92-0.95x the time at 1 thread, L3 level or a little faster.
-- Where it comes from (phase timers, L16 num_param 2, 1 thread): the copy
-- of x into the ring 112 -> 87 us, p_conv 62 -> 57, the rest level; the
-- ring is 29 rows (490 KB) instead of 41 (693 KB), and the copy's stores
-- into it are the half of the copy's cost that is not reading x.
local TILE_FR_ROWS = 3.5
local TILE_FR_MAX_K = 128
local function tile_fr_plan(s, tile)
  s.TILE_FR = tile
  if (s.COL_FUSED_FR == 1 or s.COL_NCHW_FR == 1) and s.N * s.C <= TILE_FR_MAX_K then
    local t_max = math.max(24, math.floor(TILE_FR_ROWS * s.WO))
    s.TILE_FR = math.min(tile, even_tiles(s, t_max, 12, 516))
  end
end

-- direct, full-rate AVX-512 only (NCHW_FR; the template picks by the
-- compiler's target): no copy of x.  p_conv as a stride-2 convolution
-- vectorised over output pixels and the sampler's corners gathered as
-- pairs of floats from x's NCHW planes, then COL_NCHW's column conv, in
-- tiles of NCHW_ROWS whole output rows.  Where: stride 2 (the pixel-vector
-- p_conv is written for it), width >= 2 (a pair needs two columns),
-- num_param <= 2 and N*inc <= 64, or <= 128 where outc rules out the fused
-- column conv (below), where it was measured faster.  Measured (Intel
-- Xeon, against main's kernel in the same minutes; docs/modules/
-- perf_akconv.md, eleventh Intel pass): num_param 1 at L3, L5, L16
-- 0.80-0.90x the time in cputime_bench at 1 thread and 0.85-0.90x the
-- sweeps' median, 0.76-0.85x at 2 threads, L19 0.92-0.98x; num_param 2 at
-- L3, L5 0.94-0.98x or level; at L19 num_param 2 (N*inc 256) 1.05x
-- (COL_NCHW's column conv loses to the channels-in-lanes one from K = 128
-- up).  Not at num_param 3-4: at L3 (N*inc 96, 128) 1.16-1.26x the
-- time of the copy's path at 1 thread, 1.12-1.19x at 2 (twelfth Intel
-- pass: a sample gathered from the NCHW planes costs ~3x one from the
-- ring, which outgrows the saved copy of x from num_param 3 on).
local NCHW_MAX_N = 2
local NCHW_MAX_K = 128
-- Tile rows: about NCHW_TILE_PX pixels (fewer where a tile's samples, N*inc
-- floats a pixel, would pass about 384 KiB), and, for two threads with
-- the static split, the largest count of rows that divides each half of
-- the image's rows (L16 40 rows: 2 x 2 tiles of 10, not tiles of 12, 12,
-- 12 and 4, which gave one thread 24 rows and the other 16: 8 % slower
-- than the copy's path at 2 threads).  Where that divisor is below half
-- the target (a half of prime length), tiles of the target size.
local NCHW_TILE_PX = 480
local function nchw_rows(s)
  local px = math.min(NCHW_TILE_PX, math.max(48, (384 * 1024 // 4) // (s.N * s.C)))
  local target = clamp(px // s.WO, 1, s.HO)
  local half = (s.HO + 1) // 2
  for rows = math.min(target, half), 1, -1 do
    if half % rows == 0 then
      if 2 * rows >= target then return rows end
      break
    end
  end
  return target
end

-- Called after col_fused_plan: from K = 64 up to NCHW_MAX_K only where the
-- copy's path has no fused column conv (COL_FUSED_FR: outc a multiple of
-- 16, at most 64).  L16 64->64 num_param 2 (K = 128, the fused column conv)
-- was level in cputime_bench (1.00-1.01x) but 1.08-1.10x the median time in
-- both sweep pairs at 1 thread (0.73 -> 0.66 eff) and 1.04-1.05x at 2; L5
-- num_param 2 (K = 128, outc 128: no fused column conv) level or faster.
local NCHW_FUSED_MAX_K = 64
local function nchw_plan(s)
  local k = s.N * s.C
  local k_ok = k <= NCHW_FUSED_MAX_K or (k <= NCHW_MAX_K and s.COL_FUSED_FR == 0)
  s.NCHW_FR = (s.S == 2 and s.W >= 2 and s.N <= NCHW_MAX_N and k_ok) and 1 or 0
  s.NCHW_ROWS = nchw_rows(s)
  if s.NCHW_FR == 1 then -- its column conv is COL_NCHW's, the weights packed for it
    s.COL_FUSED_FR, s.COL_NCHW_FR = 0, 1
  end
end

local function direct_plan(s)
  s.OFFP = round_up(2 * s.N, 8)
  gather16_plan(s)
  stage16_plan(s)
  pconv_dot_plan(s)
  col_fused_plan(s)
  col_nchw_plan(s)
  nchw_plan(s)
  epi16_plan(s)
  s.OUTCP = round_up(s.OUTC, 8)
  s.PCV_CHUNKS_512 = chunks(s.OFFP, 4, 24, 16)
  s.PCV_CHUNKS_AVX2 = chunks(s.OFFP, 2, 12, 8)
  s.COL_CHUNKS_512 = chunks(s.OUTCP, 8, 24, 16)
  -- AVX2: 6 pixels x 2 vectors (16 channels), gcc keeping both weight
  -- vectors in registers (12 accumulators + 2 + the broadcast: 15 of 16
  -- ymm; 8 loads per 12 FMAs).  3 x 4 (32 channels) folded the weights
  -- into every FMA (15 loads per 12 FMAs, load-bound): the column conv at
  -- 47-55 GFLOP/s on a Zen 3 against an sgemm roof of 84; 6 x 2 took
  -- 17-22 % off the whole kernel at L5, L7, L19 num_param 5
  -- (docs/modules/perf_akconv.md, Zen 3 section).
  s.COL_CHUNKS_AVX2 = chunks(s.OUTCP, 2, 12, 8)
  s.COL_MB_MAX = math.min(8, s.OUTCP // 8)
  -- The reduction's blocks sized by the widest chunk's weights (KB rows x
  -- 16 channels on AVX2): KB up to 448 instead of 112; at K = 128-384 one
  -- block instead of 2-4, 3-4 % off L7 num_param 1-3 and L5 num_param 3
  -- (fewer passes over acc); at K = 640 two blocks (one, 40 KiB of
  -- weights past L1, was 5 % slower) (docs/modules/perf_akconv.md, Zen 3
  -- second session).
  s.COL_MB_MAX_AVX2 = math.min(2, s.OUTCP // 8)
  s.ROWS_PAD = 12
  s.TILE = even_tiles(s, clamp((384 * 1024 // 4) // (s.N * s.C + s.OUTCP), 24, 512), 12, 516)
  tile_fr_plan(s, s.TILE)
  -- XP's per-thread ring of rows (akconv_direct.c.in, struct xring): a
  -- tile's p_conv rows and this many more above and below for its samples
  -- (the sweeps' init = "random" gives offsets of std 2 pixels).
  s.XRING_MARGIN = 8
  -- ... used where a thread's share of the whole padded copy XP exceeds
  -- this (else all threads stage XP together first, as before the ring).
  -- Measured (Intel Xeon, 2 MiB L2, akconv_ab, offsets of std 2 pixels):
  -- the ring 3-20 % faster at L3 (XP 3.3 MB) at 1 and 2 threads and at L16
  -- and L5 (1.7 MB) at 1 thread; at 2 threads there (0.85 MB each) and at
  -- L7 and L19 (0.9 MB) 0-6 % slower (rows staged by both threads).
  s.XRING_MIN_BYTES = 1024 * 1024
end

local function clist(t)
  local out = {}
  for i, v in ipairs(t) do out[i] = tostring(v) end
  return table.concat(out, ", ")
end

function M.render(cfg, variant)
  local s = shapes(cfg)
  if variant == "gemm" then
    gemm_plan(s)
  elseif variant == "fused" then
    fused_plan(s)
  elseif variant == "direct" then
    direct_plan(s)
  else
    error("AKConv: unknown variant '" .. tostring(variant) .. "' (known: gemm, fused, direct)")
  end
  s.variant, s.version = variant, M.version
  -- the descriptor goes into a C string literal and a comment
  s.config = (cfg.config or ""):gsub("[\\\"]", "\\%0"):gsub("%*/", "* /")
  s.args_text = string.format("inc=%d outc=%d num_param=%d stride=%d bias=%d grid=%s bn_eps=%s",
    s.C, s.OUTC, s.N, s.S, s.BIAS, s.GRID, s.EPS)
  s.clist = clist
  local root = cfg.gen_root or "gen"
  return T.render_file(root .. "/templates/akconv_" .. variant .. ".c.in", s)
end

M.p_n = p_n -- exposed for tests
M.shapes = shapes -- reused by gen/cuda_akconv.lua
M.clist = clist

return M
