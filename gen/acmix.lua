-- gen/acmix.lua — generator of ACmix kernels (MODULES.md 5.2).
--
-- One kernel (templates/acmix_gemm.c.in, its conv branch and attention in
-- acmix_conv.c.in and acmix_attention.c.in): the three 1x1 projections as a
-- single direct 1x1 conv with AVX-512 or AVX2 + FMA (a single sgemm
-- without), the local
-- attention straight from reflection-padded k and v
-- planes (no unfold tensors), and the conv branch as one grouped 3x3 conv per
-- head channel; the threads split it by bands of rows or by planes
-- (bands_pay below).
-- Variants differ only in that conv branch:
--
--   auto   fold fc into dep_conv where that costs fewer multiply-adds
--   fold   always: W'[o][c][u][v] = sum_t dep_conv[o][t][u][v] * fc[t][c],
--          a 3x3 conv over the 3*head q/k/v planes of the group, F never built
--   split  never: F (kc^2 planes per group) is computed, then dep_conv on it
--
-- Cost per output element (MACs): fold 27*head; split 81 for dep_conv plus
-- fc's 27 * stride^2 (F is computed at full resolution, once per group for
-- its `head` outputs).  So fold pays for head < 3 + stride^2: head 1 and 2
-- at stride 1, up to 6 at stride 2.  The tie (head 4 at stride 1, 7 at
-- stride 2) splits: fold copies its 3*head source planes zero-padded into
-- the thread's workspace, where split's F reads them in place, and on the
-- Intel Xeon of 2026-12-06 split ran 2-7 % faster at head 4 at all three
-- YOLOv8n neck places (docs/modules/acmix.md, second Intel pass; on the
-- Zen 4 of the fourth pass 1-3 % at L16 and L20).
local T = require "template"
local U = require "util"
local int = U.int
local round_up = U.round_up
local clamp = U.clamp

local M = { version = 1, variants = { "auto", "fold", "split" } }



-- Everything fixed by the configuration, as the template names it.
local function geometry(cfg)
  local a, i = cfg.args, cfg.input
  local g = {
    B = int(i.n), CIN = int(a.in_planes), C = int(a.out_planes), KA = int(a.kernel_att),
    HEAD = int(a.head), KC = int(a.kernel_conv), S = int(a.stride), DIL = int(a.dilation),
    H = int(i.h), W = int(i.w),
  }
  assert(g.CIN == int(i.c), "ACmix: input channels differ from in_planes")
  assert(g.HEAD >= 1 and g.C % g.HEAD == 0, "ACmix: out_planes must be divisible by head")
  assert(g.KC == 3, "ACmix: kernel_conv must be 3")
  assert(g.KA % 2 == 1 and g.DIL == 1, "ACmix: kernel_att must be odd and dilation 1")
  assert(g.S >= 1 and g.H % g.S == 0 and g.W % g.S == 0, "ACmix: input not divisible by stride")
  g.HD = g.C // g.HEAD
  g.PAD = g.KA // 2
  assert(g.H > g.PAD and g.W > g.PAD, "ACmix: input too small for reflection padding")
  g.HO, g.WO = g.H // g.S, g.W // g.S
  g.HW = g.H * g.W
  -- (the chunk width VL, a vector register, is chosen in C from the ISA and
  -- WIDE below)
  g.args_text = string.format(
    "in_planes=%d out_planes=%d kernel_att=%d head=%d kernel_conv=%d stride=%d dilation=%d",
    g.CIN, g.C, g.KA, g.HEAD, g.KC, g.S, g.DIL)
  -- the descriptor goes into a C string literal and a comment
  g.config = (cfg.config or ""):gsub("[\\\"]", "\\%0"):gsub("%*/", "* /")
  return g
end

-- Two schedules.  Bands (BANDS = 1): every thread works on its own band of
-- output rows in every phase, so it reads almost only what it wrote itself
-- (docs/modules/acmix.md: on the 2-vCPU Zen 4, with the vCPUs far apart,
-- L16 3.98 -> 3.22 ms and L20 2.72 -> 2.34 at 2 threads).  It needs each
-- thread to multiply all 3C x CIN weights by its own pixels; where the
-- weights are the larger operand (3C > HW, YOLOv8n's 256 @ 20x20) that
-- sgemm packs twice the weights per thread and ran slower near and far
-- (L24 1.35 -> 1.51 / 1.65 -> 2.25 ms), so those shapes keep the schedule
-- by planes (BANDS = 0) with its projection blocks below.
local function bands_pay(g) return 3 * g.C <= g.HW end

-- By planes: blocks of the projection sgemm (3C x CIN weights times CIN x
-- HW pixels): pixel tiles wide enough that OpenBLAS's packing of the
-- weights is amortised (about 1024 pixels), and at least two jobs in all
-- so two threads both work.  Where one image is a single tile and the
-- weights are the larger operand (3C > HW), the second job splits the
-- weights' rows instead: split by pixels, each thread would pack all of the
-- weights.  An even number of jobs: under the static schedule an odd count
-- gives one of two threads a tile more.  Multiples of 16.
local function tile_plan(g)
  local nt = math.max(1, (g.HW + 1023) // 1024)
  if nt > 1 and (g.B * nt) % 2 == 1 then nt = nt + 1 end
  g.MTILE = 3 * g.C
  if g.B * nt < 2 then
    if 3 * g.C > g.HW then
      g.MTILE = round_up((3 * g.C + 1) // 2, 16)
    else
      nt = 2
    end
  end
  g.TILE = clamp(round_up((g.HW + nt - 1) // nt, 16), 16, math.max(16, round_up(g.HW, 16)))
end

-- By bands: input rows per projection tile.  The tile's 3C x rows*W
-- output (q and the padded k, v rows; through the sgemm path a scratch
-- buffer of the thread's first) is read back by the tile's conv branch and
-- attention, so it should stay in the core's L2 (1 MiB on the Zen 4
-- measured): at most 160 Ki floats (640 KiB), at least one row.  On the
-- Intel Xeon of 2026-12-06 (2 MiB L2), with the band run as a stream, 5
-- and 20 rows at 64 @ 80x80 ran level with these 10 (docs/modules/
-- acmix.md, second Intel pass).
local function tile_rows(g)
  return math.max(1, 163840 // (3 * g.C * g.W))
end

-- Chunks of 16 columns (a zmm, where the CPU has full-rate AVX-512; the
-- template decides that) where they cover at most 1/5 more columns than
-- chunks of 8: WO = 80 (YOLOv8n's P3), 40 (48 columns for 40), 48,
-- 9..16, not 20 (32 for 24).  On the Intel Xeon of 2026-12-05 (docs/modules/
-- acmix.md, Intel pass) 16 columns at 128 @ 40x40 ran level with 8 and at
-- 256 @ 20x20 up to 8 % slower at head 1 (2 threads), 12 of 32 lanes idle;
-- with the attention's four-row passes (2026-12-06, fifth Intel pass) 16
-- columns at 128 @ 40x40 ran faster (the split loads serve 4 rows).
-- This is the attention's chunk; the conv branch takes 16 columns wherever
-- AVX-512 runs at full rate (acmix_gemm.c.in VLC).
local function wide_pays(g) return round_up(g.WO, 16) * 5 <= round_up(g.WO, 8) * 6 end

-- The conv branch over the zero-padded planes' flat positions (oy (W + 2)
-- + ox: each row's 2 pad columns computed, not stored; acmix_conv.c.in
-- conv_rows_flat), where its zmm chunks (the template takes it only there,
-- acmix_gemm.c.in FLAT_CONV) are fewer than rows of 16 columns: by planes
-- (the whole plane in the thread's zin: no stale rows past a band), stride
-- 1, WO >= 16 (a chunk spans at most two rows).  YOLOv8n's 256 @ 20x20: 28
-- chunks a plane for 40 (12 of each row's 32 lanes past WO); at 64 @ 80x80
-- and 128 @ 40x40 (by bands) no fewer chunks.
local function flat_pays(g)
  return g.BANDS == 0 and g.S == 1 and g.WO >= 16
      and (g.HO * (g.W + 2) + 15) // 16 < g.HO * ((g.WO + 15) // 16)
end

-- By bands, each thread projects the rows its band reads into planes of
-- its own (OWN = 1, the template's proj_rows_of): its input rows and the
-- HALO = max(PAD, 1) rows beyond them, which the next band projects too,
-- so no phase reads a line the other core wrote and nothing is waited
-- for.  It costs HALO more rows of projection per band edge, so only
-- where the halo is at most 1/40 of the image's rows (a 2-thread band's
-- 1/20).  On the Intel Xeon of 2026-12-06 (docs/modules/acmix.md, eighth
-- Intel pass), 2 threads: at 64 @ 80x80, kernel_att 3 (HALO 1 of a
-- 40-row band) the call ran 3-6 % faster; at 128 @ 40x40 (1 of 20) the
-- attention 0.15 -> 0.13 ms a thread and the projection's extra row about
-- as much more, the call level; at kernel_att 7 (HALO 3) the projection
-- grew 0.07-0.10 ms a thread for 0.025 less attention, at kernel_att 11
-- (HALO 5) 0.4 ms.
local HALO_SHARE = 40
local function own_pays(g)
  return math.max(g.PAD, 1) * HALO_SHARE <= g.H
end

local function fold_pays(g) return 3 * g.HEAD < 9 + 3 * g.S * g.S end

-- The attention's window-row ranges (lo, hi) a pass can take
-- (acmix_attention.c.in ACM_ROWS_SWITCH inlines the logits and the values
-- once per range, most of a kernel's build), as a mask of bits lo * 4 + hi,
-- for a pass of nr_max rows (ROWS_PASS, chosen in C from the ISA: 4, 2 or
-- 1).  Passes are nr_max rows but the image's last, HO % nr_max: by bands
-- every band starts at a multiple of nr_max (band_of, pass_start), and by
-- planes the jobs are whole passes; except by planes where the jobs do not
-- divide among the threads (attend_by_planes' second loop: bands of HO / nt
-- rows, nt known at run time), so there any pass size.  A pass of nr rows
-- reads padded rows r = 0 .. (nr - 1) S + KA - 1, each for its rows lo .. hi
-- (rows_lo, rows_hi there).
local function row_ranges(g, nr_max)
  local sizes = { [nr_max] = true }
  if g.HO % nr_max ~= 0 then sizes[g.HO % nr_max] = true end
  if g.BANDS == 0 then
    for nr = 1, nr_max do sizes[nr] = true end
  end
  local mask = 0
  for nr in pairs(sizes) do
    for r = 0, (nr - 1) * g.S + g.KA - 1 do
      local lo = r < g.KA and 0 or (r - g.KA) // g.S + 1
      local hi = math.min(r // g.S, nr - 1)
      if lo <= hi then mask = mask | (1 << (lo * 4 + hi)) end
    end
  end
  return mask
end

function M.render(cfg, variant)
  local g = geometry(cfg)
  if variant == "auto" then
    g.FOLD = fold_pays(g) and 1 or 0
  elseif variant == "fold" then
    g.FOLD = 1
  elseif variant == "split" then
    g.FOLD = 0
  else
    error("ACmix: unknown variant '" .. tostring(variant) .. "' (known: auto, fold, split)")
  end
  -- input planes of one group's 3x3 conv: the q/k/v heads, or F's kc^2 maps
  g.NSRC = g.FOLD == 1 and 3 * g.HEAD or 9
  g.BANDS = bands_pay(g) and 1 or 0
  g.OWN = (g.BANDS == 1 and own_pays(g)) and 1 or 0
  g.WIDE = wide_pays(g) and 1 or 0
  g.FLAT = flat_pays(g) and 1 or 0
  g.TILE_ROWS = tile_rows(g)
  g.RANGES1, g.RANGES2, g.RANGES4 = row_ranges(g, 1), row_ranges(g, 2), row_ranges(g, 4)
  tile_plan(g)
  g.variant, g.version = variant, M.version
  local root = cfg.gen_root or "gen"
  -- phases 2 (the conv branch) and 3 (the attention) live in templates of
  -- their own, rendered into the main one at $(conv_branch), $(attention)
  g.conv_branch = T.render_file(root .. "/templates/acmix_conv.c.in", g)
  g.attention = T.render_file(root .. "/templates/acmix_attention.c.in", g)
  return T.render_file(root .. "/templates/acmix_gemm.c.in", g)
end

M.fold_pays = fold_pays -- exposed for tests
M.bands_pay = bands_pay
M.own_pays = own_pays
M.wide_pays = wide_pays
M.flat_pays = flat_pays
M.row_ranges = row_ranges
M.geometry = geometry -- reused by gen/cuda_acmix.lua

return M
