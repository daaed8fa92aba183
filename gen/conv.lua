-- gen/conv.lua — generator of ultralytics Conv kernels (MODULES.md 3.1):
-- Conv2d (no bias) + BatchNorm2d + SiLU.  The baseline every replacement
-- module is measured against, so it has to be a fair, fast one.
--
-- Variants (schedules):
--   gemm    pixel tiles: im2col into an L2-sized panel, OpenBLAS sgemm
--           straight into y, fused BN+SiLU epilogue (templates/conv_gemm.c.in);
--           1x1 stride-1 convs skip the im2col; depthwise convs (one input
--           channel per group, where a GEMM degenerates to M = 1) use the
--           direct schedule instead; on AVX-512 builds the shapes of
--           direct_plan take the register-blocked direct convolution of
--           runtime/ablate_direct.h in place of im2col + sgemm, on AVX2
--           builds its 3x3 ones (stride 1 and 2) take abl_direct8_*
--           (8-float vectors, docs/baseline.md "The Conv on AVX2")
--   direct  direct convolution vectorised over output columns, no BLAS
--           (templates/conv_direct.c.in); right for depthwise (the gemm
--           variant takes it there), slow for dense convs (12-45 ms where
--           gemm takes 2.3 at YOLOv8n's layers): built when a sweep or a
--           test names it, left out of sweep_variants, the ones a sweep
--           times by default
local T = require "template"
local U = require "util"
local int = U.int
local round_up = U.round_up
local clamp = U.clamp
local cdouble = U.cdouble

local M = { version = 4, variants = { "gemm", "direct" }, sweep_variants = { "gemm" } }

-- Tuning knobs of the gemm schedule (see tile_plan).
M.tuning = U.gemm_tuning




-- ultralytics autopad(k, p=None, d); p < 0 stands for None.
local function autopad(k, p, d)
  if p >= 0 then return p end
  if d > 1 then k = d * (k - 1) + 1 end
  return k // 2
end

local function conv_out(n, k, s, p, d) return (n + 2 * p - d * (k - 1) - 1) // s + 1 end

-- Everything fixed by the configuration, as the templates name it.
local function geometry(cfg)
  local a, i = cfg.args, cfg.input
  local g = {
    N = int(i.n), C1 = int(a.c1), C2 = int(a.c2), H = int(i.h), W = int(i.w),
    K = int(a.k), S = int(a.s), D = int(a.d), G = int(a.g), ACT = int(a.act),
    EPS = cdouble(a.bn_eps or 1e-5),
  }
  assert(g.C1 == int(i.c), "Conv: input channels differ from c1")
  assert(g.G >= 1 and g.C1 % g.G == 0 and g.C2 % g.G == 0,
    "Conv: channels must be divisible by groups")
  assert(g.K >= 1 and g.S >= 1 and g.D >= 1, "Conv: invalid kernel/stride/dilation")
  g.P = autopad(g.K, int(a.p), g.D)
  g.HO, g.WO = conv_out(g.H, g.K, g.S, g.P, g.D), conv_out(g.W, g.K, g.S, g.P, g.D)
  if cfg.output then
    assert(g.HO == int(cfg.output.h) and g.WO == int(cfg.output.w),
      "Conv: output shape differs from the harness's")
  end
  assert(g.HO >= 1 and g.WO >= 1, "Conv: output size < 1")
  g.PIX = g.HO * g.WO
  g.CIN_G, g.COUT_G = g.C1 // g.G, g.C2 // g.G
  g.KDIM = g.CIN_G * g.K * g.K
  g.POINTWISE = g.K == 1 and g.S == 1 and g.P == 0
  g.DEPTHWISE = g.CIN_G == 1
  g.args_text = string.format("c1=%d c2=%d k=%d s=%d p=%s g=%d d=%d act=%d bn_eps=%s",
    g.C1, g.C2, g.K, g.S, int(a.p) < 0 and "None" or tostring(g.P), g.G, g.D, g.ACT, g.EPS)
  g.config = cfg.config or ""
  return g
end

-- Widest tile of the gemm schedule, in pixels.  Measured (Zen 3, OpenBLAS
-- 0.3.21, YOLOv8 3x3 stride-2 layers, tiles 64 .. 1600 pixels): sgemm
-- blocks K itself, so a panel larger than L2 costs little, while a narrow
-- N costs a lot (packing and edge work are paid per call: 64-pixel tiles
-- ran 15-25% slower than 400+).  So: the width whose K x TILE panel is
-- panel_bytes, kept within [min_tile, max_tile] and never wider than the
-- image.  The kernel cuts each image into at least PIX / TILE tiles of
-- equal width, more when that evens out the work among its threads
-- (tiles_per_image in the template).
local function tile_plan(g, tun)
  local t = clamp(tun.panel_bytes // (4 * g.KDIM), tun.min_tile, tun.max_tile)
  g.TILE = math.min(round_up(t, 16), g.PIX)
end

-- The tile of the AVX2 build's stride-2 direct path (runtime/ablate_direct.h
-- abl_direct8_*), which the template picks at compile time: each tile's
-- space-to-depth copy (6 planes of its rows per input channel) at most
-- direct8_copy_floats, i.e. within half of Zen 3's 512 KiB L2, but never
-- under min_tile pixels.  Measured (Zen 3, 1 thread, cputime_bench): Conv
-- 16 -> 32 at 320 x 320 (gemm's tile 1824 pixels, a 768 KiB copy) ran
-- 8-10 % faster at 320 or 640 pixels, not at 960; 32 -> 64 at 160,
-- 64 -> 128 at 80 and 128 -> 128 at 40 level at 80 .. 960 (+-5 %).
local direct8_copy_floats = 64 * 1024
local function direct8_tile_plan(g, tun)
  g.TILE8 = g.TILE
  if g.DIRECT == 3 then
    local rows = math.max(1, direct8_copy_floats // (6 * g.C1 * g.WO))
    g.TILE8 = math.min(g.TILE, math.max(tun.min_tile, rows * g.WO))
  end
end

-- Workspace of one thread (floats, regions rounded to 64 bytes).
local function workspace_plan(g, with_panel)
  g.WS_SHIFT = round_up(g.C2, 16)
  g.WS_COL = g.WS_SHIFT + round_up(g.C2, 16)
  local panel = with_panel and not g.POINTWISE and round_up(g.KDIM * g.TILE, 16) or 0
  -- direct_plan's space-to-depth copy (DIRECT 3): each thread copies the
  -- slab of the rows its tile reads, at most S2D_ROWS output rows (a run of
  -- TILE pixels starting at a row's last column spans 1 + ceil((TILE - 1) / WO))
  g.WS_S2D = g.WS_COL + panel
  local s2d = 0
  if g.DIRECT then
    g.S2D_ROWS = math.min(g.HO, 1 + (g.TILE + g.WO - 2) // g.WO)
  end
  if g.DIRECT == 1 then
    -- AVX2's three shifted row copies (abl_direct8_s1_tile): the template
    -- adds them to WS_FLOATS on AVX2 builds only
    g.ROWS_FLOATS = round_up(3 * g.C1 * (g.S2D_ROWS + 2) * g.W, 16)
  elseif g.DIRECT == 3 then
    -- AVX2's tile (direct8_tile_plan) and its copy with the two shifted
    -- planes more per channel (abl_conv_s2d_floats)
    g.S2D_ROWS8 = math.min(g.HO, 1 + (g.TILE8 + g.WO - 2) // g.WO)
    g.WS_FLOATS8 = g.WS_S2D + round_up(g.C1 * (6 * g.S2D_ROWS8 + 3) * g.WO, 16)
  end
  if g.DIRECT == 3 then
    s2d = round_up(g.C1 * (4 * g.S2D_ROWS + 2) * g.WO, 16)
  elseif g.DIRECT == 4 then
    -- the tile's rows of the space-to-depth copy and one above and below
    -- (abl_focus_floats), then the weights in the 3x3 layout
    s2d = round_up(4 * g.C1 * (g.S2D_ROWS + 2) * g.WO, 16)
    g.WS_WF = g.WS_S2D + s2d
    s2d = s2d + round_up(g.C2 * g.KDIM, 16)
  end
  g.WS_FLOATS = g.WS_S2D + s2d
  g.PANEL_KIB = string.format("%.0f", g.KDIM * (g.TILE or 0) * 4 / 1024)
end

-- The AVX-512 register-blocked direct convolution (runtime/ablate_direct.h)
-- instead of im2col + sgemm, where it applies (groups 1, output channels a
-- multiple of 8; stride 1 with "same" padding, or 3x3 stride 2 pad 1; on
-- an AVX2 build the 3x3 ones take abl_direct8_s1_tile / abl_direct8_s2d_tile,
-- the rest falls back to sgemm: abl_conv_direct_ok, abl_conv_direct2s_ok).  Stride 2
-- (DIRECT 3) runs on a space-to-depth copy: each tile's thread splits the
-- input rows its tile reads into their four (row, column) parity phases
-- (abl_s2d_split_rows, inside the call, into its own workspace); then every
-- tap is one load at a fixed offset and vectors run across row ends, as at
-- stride 1.  Measured (Zen 4, 2 threads, docs/baseline.md): ahead of
-- im2col + sgemm at every YOLOv8n stride-2 Conv, and since the per-tile
-- copy (generator v3) ahead of the in-row stride-2 kernel (abl_direct2_tile,
-- even lanes of 32-float windows) too, by 6-15 % at YOLOv8n/s layers 0, 1
-- and 3 (output widths 320, 160, 80), so that kernel is no longer chosen
-- here (the dynamic convs still use it).  YOLOv5's 6x6 stride-2 pad-2 stem
-- (DIRECT 4) is a 3x3 stride-1 conv on the space-to-depth copy of its input
-- (4 C1 channels; runtime/ablate_direct.h abl_focus_tile), copied per tile
-- as DIRECT 3 does; even input sizes only.
local function direct_plan(g)
  if g.G ~= 1 or g.C2 % 8 ~= 0 or g.D ~= 1 then return end
  if g.S == 1 and g.K % 2 == 1 and g.K <= 3 and g.P == g.K // 2 then
    g.DIRECT, g.DIRECT_WHY = 1, "AVX-512: register-blocked direct conv, stride 1 (AVX2: 3x3 only, abl_direct8_s1_tile)"
  elseif g.S == 2 and g.K == 3 and g.P == 1 then
    g.DIRECT, g.DIRECT_WHY = 3, "AVX-512: register-blocked direct conv on a space-to-depth copy, 3x3 stride 2 (AVX2: abl_direct8_s2d_tile)"
  elseif g.S == 2 and g.K == 6 and g.P == 2 and g.H % 2 == 0 and g.W % 2 == 0 then
    g.DIRECT, g.DIRECT_WHY = 4, "AVX-512: 6x6 stride 2 as a 3x3 direct conv on a space-to-depth copy"
  end
end

function M.render(cfg, variant)
  local g = geometry(cfg)
  local template
  if variant == "gemm" and not g.DEPTHWISE then
    tile_plan(g, M.tuning)
    direct_plan(g)
    direct8_tile_plan(g, M.tuning)
    workspace_plan(g, true)
    template = "conv_gemm"
  elseif variant == "gemm" or variant == "direct" then
    workspace_plan(g, false)
    template = "conv_direct"
  else
    error("Conv: unknown variant '" .. tostring(variant) .. "' (known: gemm, direct)")
  end
  g.variant, g.version = variant, M.version
  local root = cfg.gen_root or "gen"
  return T.render_file(root .. "/templates/" .. template .. ".c.in", g)
end

M.geometry = geometry -- reused by gen/cuda_conv.lua

return M
