-- gen/dlka.lua — generator of deformable_LKA_Attention kernels (MODULES.md 6.2).
--
-- One template, templates/dlka.c.in, over runtime/ablate_dlka.h (1x1 convs
-- as sgemm with fused GELU / gate / residual epilogues) and, by variant:
--   official   offset convs as direct channels-last convolutions with a
--              register-blocked micro-kernel (runtime/ablate_dlka_offsets.h;
--              generator variant im2col: im2col + sgemm); the depthwise deformable
--              convs with each (pixel, point)'s corner plan computed once
--              and shared by all C channels (one offset group)
--   blog       two DCNv3 3x3 layers, runtime/ablate_dlka_dcnv3.h: the DCNv3
--   dcnv3_lka  row's schedule with sizes as arguments (5x5, then 7x7 d3)
-- M.attention gives gen/c3_dlka.lua the same plan for its bottlenecks.
local DCN = require "dcnv3"
local T = require "template"
local U = require "util"
local int = U.int
local round_up = U.round_up
local clamp = U.clamp

-- fused: the official variant's offset convs direct; im2col: as im2col +
-- sgemm (the former schedule, kept so that a sweep times both in one run;
-- the DCNv3 variants are the same code under both names).
local M = { version = 2, variants = { "fused", "im2col" } }
M.OFFSETS = { fused = "ABL_DLKA_DIRECT", im2col = "ABL_DLKA_IM2COL" }

-- ablate_dlka_offsets.h / ablate_dlka.h: the offset tile's widest row and
-- spare rows, the widest padding (7x7 dilation 3).
local OFF_MPAD_MAX, OFF_PMAX, PAD_MAX = 128, 6, 9
-- ablate_dlka.h's ABL_DLKA_MERGE: tiles whose offsets one thread alone makes at once.
local OFF_MERGE = 2
-- ablate_dlka_offsets.h's F(2, k) offset convs: pairs a block, widest
-- chunk row.
local WR_NB, WR_WMAX = 96, 112
-- ablate_dlka_offsets.h's F(2x2, 7): quads a block (ABL_OFF_W2_NQ).
local W2_NQ = 132


-- Pixels per 1x1/offset tile: the 7x7 column panel (C * 49 floats per
-- pixel) near 1 MiB so it stays in L2 for its sgemm; at least two tiles
-- per image when it has 64 pixels, so two threads share a batch-1 forward.
M.tuning = { panel_bytes = 1024 * 1024, min_tile = 32, max_tile = 1024, dcn_tile_floats = 32768,
             dcn_layer_tile_floats = 65536, dcn_dw_tile_floats = 131072, direct_tile = 1024, f25_min_w = 1, f27_min_w = 40,
             w25_min_w = 1, w27_min_w = 1 }

-- The official variant's direct offset convs, by shape: each of the 5x5
-- and the 7x7 dilation-3 conv runs by Winograd F(2, k) along rows
-- (abl_off_tile_wr) on maps at least f25_min_w / f27_min_w wide.  F(2, 7)
-- needs 8 x 7 products a pair of pixels where the direct conv needs 2 x
-- 49, F(2, 5) 6 x 5 for 2 x 25, but they multiply the taps that fall in
-- the zero padding (only whole kernel rows are skipped; the direct conv
-- skips single taps, 45 % of the 7x7's at 20 x 20) and short rows leave
-- more phantom partners.  Measured (docs/modules/perf_deform.md, sixth
-- Intel pass, C3_DCNv3_DLKA's CPU time, 1 thread, Intel Xeon): F(2, 7)
-- -12 % at 80 x 80, -5 to -7 % at 40 x 40, +2 % at 20 x 20 (45 % of its
-- taps in the padding); F(2, 5) after it -4 % at 80 x 80, -2 to -3 % at
-- 40 x 40, -1 to -2 % at 20 x 20.  Both by 2-D Winograd F(2x2, k)
-- (abl_off_tile_w2: (k + 1)^2 products a quad of outputs; ABL_DLKA_DIRECT_W25
-- / _W27, tuning.w25_min_w / w27_min_w) at every width: against the above,
-- the block -9 to -13 % at 40 x 40 and 80 x 80, -2 to -5 % at 20 x 20
-- (docs/modules/perf_deform.md, eighth Intel pass).  The F(2, k) paths stay
-- for a width below w25_min_w / w27_min_w.
local function offsets_direct(h, w)
  local f25, f27 = w >= M.tuning.f25_min_w, w >= M.tuning.f27_min_w
  local w25, w27 = w >= M.tuning.w25_min_w, w >= M.tuning.w27_min_w
  return "ABL_DLKA_DIRECT" .. (w25 and "_W25" or f25 and "_F25" or "")
    .. (w27 and "_W27" or f27 and "_F27" or "")
end

local function tile(c, pix)
  local t = clamp(M.tuning.panel_bytes // (4 * c * 49), M.tuning.min_tile, M.tuning.max_tile)
  t = math.min(round_up(t, 16), pix)
  if pix >= 64 and t > (pix + 1) // 2 then t = (pix + 1) // 2 end
  return math.max(1, t)
end

-- Pixels per tile of the official variant with direct offset convs: no
-- column panel to keep in L2, and each tile streams both offset convs'
-- packed weights once (the 7x7's 49 c x 112 floats: 2.8 MB at 128
-- channels, past L2), so tiles up to direct_tile pixels, an even number of
-- equal ones (two threads share a batch-1 forward).  The panel rule's
-- 48-pixel tiles at L23 (20 x 20, 128 channels) streamed the weights 9
-- times a call; 2 tiles of 200: the block 8.8 -> 7.8 ms, 1 thread, Intel
-- Xeon (docs/modules/perf_deform.md, third Intel pass).
local function direct_tile(pix)
  local nt = (pix + M.tuning.direct_tile - 1) // M.tuning.direct_tile
  if pix >= 64 and nt % 2 == 1 then nt = nt + 1 end
  return math.max(1, (pix + nt - 1) // nt)
end

-- Pixels per tile of the DCNv3 variants' 1x1 convs (proj_1, conv1,
-- proj_2): no column panel there, so the c x tile tile is sized like a
-- DCNv3 layer's (dcn_tile_floats: 256 pixels at 128 channels, where the
-- official's panel rule gives 48, and OpenBLAS then packs the c x c weights
-- again for every 48 pixels), over an even number of equal tiles.
local function proj_tile(c, pix)
  local t = clamp(round_up(M.tuning.dcn_tile_floats // c, 16), M.tuning.min_tile, M.tuning.max_tile)
  local nt = (pix + t - 1) // t
  if pix >= 64 and nt % 2 == 1 then nt = nt + 1 end
  return math.max(1, (pix + nt - 1) // nt)
end

-- DCNv3 rows per tile of one layer of gp = G k^2 points: gen/dcnv3.lua's
-- rule (at least 4 tiles, rows spread evenly over an even count) with the
-- tile's x1 (c floats a pixel) AND its offsets and mask (3 gp floats a
-- pixel) about dcn_layer_tile_floats together.  The sampler reads both the
-- tile's offsets and the corners of the shared xp (h w c) in random order;
-- sized by x1 alone (32k floats) dcnv3_lka's 7x7 layer at L17 had 10 rows
-- of 588 offsets-and-mask floats a pixel, a 1.9 MB tile beside xp's 0.8 MB
-- in a 2 MiB L2, and every corner came from L3 (docs/modules/perf_deform.md,
-- third Intel pass: -13 % CPU time at L17, the same bits).
--
-- A layer whose depthwise conv runs a tile at a time (k >= 5 on rows
-- narrower than 64: ablate_dcnv3_dw.h's ABL_DW_PADDED_OK, abl_dlka_dw_tile
-- in ablate_dlka_dcnv3.h) is sized by dcn_dw_tile_floats instead: a tile
-- of nr rows reads nr + k - 1 input rows, and the 7 x 7 layer at 40 x 40
-- (64 channels, 652 floats a pixel) had 2-row tiles, 8 input rows for 2
-- output rows; at 131072 floats 5 rows (417 KB of offsets, mask and x1
-- beside xp's 410 KB in the 2 MiB L2): dcnv3_lka at L13 and L20 -4 % CPU
-- time, 1 thread, the same bits (docs/modules/perf_deform.md, a2-dlka).
-- k: the layer's kernel (nil: the plain rule).
local function dw_tile_layer(w, k)
  return k >= 5 and k <= 15 and w < 64 and w + k - 1 <= 128 -- ABL_DW_PADDED_OK(w, k)
end

local function dcn_rows(n, c, h, w, gp, k)
  local dw_tile = k and dw_tile_layer(w, k)
  local floats = dw_tile and M.tuning.dcn_dw_tile_floats or M.tuning.dcn_layer_tile_floats
  return DCN.rows_per_tile(n, c + 3 * gp, h, w, floats)
end
M.dcn_rows, M.dw_tile_layer = dcn_rows, dw_tile_layer -- tests/test_dlka_gen.c

-- ABL_DLKA_DW_TILE (ablate_dlka_dcnv3.h): 1 where a layer of the kernel
-- may run its depthwise conv by abl_dlka_dw_tile, 0 where none can: the
-- tile's bound and not surely channels last (abl_dlka_dw_cl: c a multiple
-- of 16 up to 256 on rows under 32 at either of its bounds, 32 or 64).
-- The tile's code, dead at L17's 80 columns, still changed how gcc
-- compiled the rest of the attention there (dcnv3_lka +6 % CPU time,
-- docs/modules/perf_deform.md, a2-dlka); with 0 the header leaves it out,
-- and a layer that would take it runs the rows path (the same bits).
local function dw_tile_may(c, w, k)
  local cl_always = k >= 5 and w < 32 and c % 16 == 0 and c <= 256
  return dw_tile_layer(w, k) and not cl_always
end
M.dw_tile_may = dw_tile_may -- tests/test_dlka_gen.c

-- The DCNv3 layers of a variant: kernel, dilation (pad = dil (k - 1) / 2).
local DCN_LAYERS = { blog = { { 3, 1 }, { 3, 1 } }, dcnv3_lka = { { 5, 1 }, { 7, 3 } } }
local GROUP = 4 -- DCNv3_pytorch's default, which the seed keeps

-- Private floats of phase A's channels-last depthwise conv, as
-- abl_dlka_dw_cl / abl_dlka_dw_cl_floats (ablate_dlka_dcnv3.h): kernels of
-- 5 and more on rows narrower than 64, c a multiple of 16 up to 256.  With
-- full-rate AVX-512 the runtime takes it only below 32 pixels
-- (ABL_DLKA_DW_CL_WMAX): the floats counted here are then an upper bound,
-- as are the taps in the prepared floats.
local function dw_cl_floats(c, w, k, tr)
  if k < 5 or w >= 64 or c % 16 ~= 0 or c > 256 then return 0 end
  return round_up(k * k * c, 16) + round_up((tr + k - 1) * (w + k - 1) * c, 16)
end

-- The channels a group of the group-major sampler a layer takes, as
-- abl_dlka_gcw (ablate_dlka_dcnv3.h): 8 (abl_dlka_gc8) or 16
-- (abl_dlka_gc16) where c = 8 g or 16 g, k >= 5, on a map of 2 x 2 and
-- more; else 0 (the runtime also asks for full-rate AVX-512: the plan's
-- floats below are then an upper bound).
local function gc_width(c, h, w, k)
  if k < 5 or w < 2 or h < 2 then return 0 end
  if c == 8 * GROUP then return 8 end
  if c == 16 * GROUP then return 16 end
  return 0
end
M.gc_width = gc_width -- tests/test_dlka_gen.c

-- Private floats of the sampler's repacked plan, as
-- abl_dlka_gc8_plan_floats: 5 gpv (one pixel's) where gc_width is not 0.
local function gc_plan_floats(c, h, w, k, gp)
  if gc_width(c, h, w, k) == 0 then return 0 end
  return 5 * round_up(gp, 16)
end

-- ABL_DLKA_DCN_GC8 / ABL_DLKA_DCN_GC16 (ablate_dlka_dcnv3.h): 1 where every
-- layer samples by the group-major path of that width (where the build
-- has it), 0 where none does; the layers share c, h, w, so they agree.
-- Such a layer's plan takes the softmax (g k^2 <= ABL_DLKA_SM_GPMAX, 240):
-- its kernel builds no plain sampler.
local function gc_layers(c, h, w, layers, width)
  local n = 0
  for _, kd in ipairs(layers) do
    if gc_width(c, h, w, kd[1]) == width then
      assert(GROUP * kd[1] * kd[1] <= 240,
             "deformable_LKA_Attention: gc layer past ABL_DLKA_SM_GPMAX")
      n = n + 1
    end
  end
  assert(n == 0 or n == #layers, "deformable_LKA_Attention: layers differ in the gc sampler")
  return n > 0 and 1 or 0
end

-- ABL_DLKA_GC16_PACK (ablate_dlka_dcnv3.h): 1 where a layer samples by
-- the 16-channel path with a reach dil (k - 1) / 2 of PACK_REACH and more,
-- as abl_dlka_gc16_packs (its plan leaves out the points wholly outside
-- the map); 0 where none does, and the header leaves that path out.
M.PACK_REACH = 3 -- ABL_DLKA_PACK_REACH
local function gc16_pack(c, h, w, layers)
  for _, kd in ipairs(layers) do
    if gc_width(c, h, w, kd[1]) == 16 and kd[2] * (kd[1] - 1) // 2 >= M.PACK_REACH then
      return 1
    end
  end
  return 0
end

-- ABL_DLKA_GC8_PAD (ablate_dlka_dcnv3.h): 1 where the gc8 layers keep
-- their group planes padded by a zero pixel on each side (abl_dlka_gc8_pad:
-- the plan without its border path); GC8_PAD = 0 here keeps them bare.
M.GC8_PAD = 1
-- ABL_DLKA_GC8_ROWS (ablate_dlka_dcnv3.h): 1 where the padded gc8 layers keep
-- their plan as 4 weight rows (abl_dlka_gc8_rows: no interleaving permutes
-- in the plan); GC8_ROWS = 0 here keeps 4 floats a point.
M.GC8_ROWS = 1
-- ABL_DLKA_GC8_SPLIT (ablate_dlka_dcnv3.h): 1 where a gc8 layer on weight
-- rows has a reach dil (k - 1) / 2 of SPLIT_REACH and more, as
-- abl_dlka_gc8_splits (it samples its tile in two passes of half its
-- groups, their planes under its window then in L1); 0 where none does,
-- and the header leaves that path out.
M.SPLIT_REACH = 3 -- ABL_DLKA_SPLIT_REACH
local function gc8_split(c, h, w, layers, rows)
  if rows ~= 1 then return 0 end
  for _, kd in ipairs(layers) do
    if gc_width(c, h, w, kd[1]) == 8 and kd[2] * (kd[1] - 1) // 2 >= M.SPLIT_REACH then return 1 end
  end
  return 0
end

-- Floats of one official deformable layer's prepared weights, as
-- abl_dlka_layer_prep_floats (ablate_dlka.h): the packed offset weights
-- and bias, the F(2, k) weights, the transposed depthwise weights.
local function official_layer_prep(c, k)
  return round_up(k * k * c * OFF_MPAD_MAX + OFF_MPAD_MAX, 16) + (k + 1) * (k + 1) * c * WR_WMAX
    + round_up(k * k * c, 16)
end

-- Everything the templates need for one attention of c channels over an
-- n x c x h x w batch: kind, tiles, and the floats it needs (shared beyond
-- its u, a0, a1; private per thread; PREP: the weight-only data that
-- ablate_kernel_prepare makes once).
function M.attention(variant, n, c, h, w, gen_variant)
  local pix = h * w
  local A = { KIND = variant == "official" and "official" or "dcnv3",
              OFFSETS = assert(M.OFFSETS[gen_variant or "fused"]) }
  if A.KIND == "official" and A.OFFSETS == "ABL_DLKA_DIRECT" then A.OFFSETS = offsets_direct(h, w) end
  local direct = A.OFFSETS ~= "ABL_DLKA_IM2COL"
  A.TILE = A.KIND ~= "official" and proj_tile(c, pix)
    or direct and direct_tile(pix) or tile(c, pix)
  A.NTILES = (pix + A.TILE - 1) // A.TILE
  A.ACT = round_up(n * c * pix, 16)
  -- the attention's tensors in the shared head: u, a0 and, official only,
  -- a1 (the DCNv3 variants never form a1: conv1 is folded into the last
  -- layer's output_proj, abl_dlka_fused_tail)
  A.NACT = A.KIND == "official" and 3 or 2
  if A.KIND == "official" then
    -- as abl_dlka_extra_shared_floats / abl_dlka_priv_floats: the source
    -- channels last, padded, with F(2, k)'s 3 c zeros after it, the packed
    -- offset weights and the F(2, 7) weights (shared); the column panel
    -- (direct offset convs: the sampler's c x tile accumulator only,
    -- abl_dlka_col_floats), offset tile, plan, a c x tile tile, the
    -- transposed depthwise weights, F(2, k)'s scratch (private)
    A.EXTRA_SHARED = round_up(n * (h + 2 * PAD_MAX) * (w + 2 * PAD_MAX) * c + 3 * c, 16)
      + 49 * c * OFF_MPAD_MAX + OFF_MPAD_MAX + 64 * c * WR_WMAX
    local col = c * A.TILE * (direct and 1 or 49)
    -- abl_dlka_merge_tiles: the direct 7x7's tiles merged at 1 thread
    local merge = (direct and not A.OFFSETS:find("_F27")) and OFF_MERGE or 1
    A.PRIV = round_up(col + (merge * A.TILE + OFF_PMAX) * OFF_MPAD_MAX + 8 * A.TILE
      + c * A.TILE + 49 * c, 16)
    if A.OFFSETS:find("_F2") or A.OFFSETS:find("_W2") then -- abl_off_wr_scratch_floats
      A.PRIV = A.PRIV + round_up(math.max(WR_NB * 8 * (math.max(c, 160) + WR_WMAX),
                                          W2_NQ * (8 * c + 12 * WR_WMAX)), 16)
    end
    A.PREP = official_layer_prep(c, 5) + official_layer_prep(c, 7) -- abl_dlka_official_prep_floats
    return A
  end
  assert(DCN_LAYERS[variant], "deformable_LKA_Attention: unknown variant " .. tostring(variant))
  assert(c % GROUP == 0, "deformable_LKA_Attention: channels must be divisible by group 4")
  -- conv1 folded into the last layer's output_proj (abl_dlka_fold_floats)
  local fold = round_up(c * c, 16) + round_up(c, 16)
  A.EXTRA_SHARED, A.PRIV, A.DCN, A.PREP = 0, round_up(c * A.TILE, 16), {}, fold
  A.GC8 = gc_layers(c, h, w, DCN_LAYERS[variant], 8)
  A.GC16 = gc_layers(c, h, w, DCN_LAYERS[variant], 16)
  A.GC16_PACK = gc16_pack(c, h, w, DCN_LAYERS[variant])
  A.GC8_PAD = A.GC8 == 1 and M.GC8_PAD or 0
  A.GC8_ROWS = A.GC8_PAD == 1 and M.GC8_ROWS or 0
  A.GC8_SPLIT = gc8_split(c, h, w, DCN_LAYERS[variant], A.GC8_ROWS)
  A.DW_TILE, A.DW_TILE_NR = 0, 0 -- ABL_DW_TILE_NR: the chunk sizes of those layers' tiles
  for i, kd in ipairs(DCN_LAYERS[variant]) do
    -- as abl_dcn_shared_floats / abl_dcn_priv_floats + abl_dlka_dw_cl_floats +
    -- abl_dcn_om_tile_floats (ablate_dlka_dcnv3.h)
    local gp = GROUP * kd[1] * kd[1]
    local tr = dcn_rows(n, c, h, w, gp, kd[1]) -- each layer its own tiles
    if dw_tile_may(c, w, kd[1]) then -- its tiles: tr rows, the image's last h - (ntr - 1) tr
      A.DW_TILE = 1
      A.DW_TILE_NR = A.DW_TILE_NR | DCN.dw_tile_chunk_mask(tr)
        | DCN.dw_tile_chunk_mask(h - (h + tr - 1) // tr * tr + tr)
    end
    A.DCN[i] = string.format("{%d, %d, %d, %d, %d, %d, %d, %d, %d}", n, c, h, w, kd[1], kd[2], GROUP,
                             tr, DCN.skip_outside(kd[1], kd[2], h, w))
    local xp_pix = (A.GC8_PAD == 1 and gc_width(c, h, w, kd[1]) == 8) and (h + 2) * (w + 2) or pix
    A.EXTRA_SHARED = math.max(A.EXTRA_SHARED, round_up(n * xp_pix * c, 16)) -- xp
    local cv, nomv = round_up(c, 16), round_up(3 * gp, 16)
    local packed = c * cv + cv + c * nomv + nomv + round_up(c, 16) -- abl_dcn_pk_floats, taps aside
    A.PRIV = math.max(A.PRIV, round_up(c * w + 2 * w + tr * w * c + 10 * round_up(gp, 16), 16)
      + packed + tr * w * c + dw_cl_floats(c, w, kd[1], tr)
      + round_up(tr * w * 3 * gp + DCN.OM_SLACK, 16) + gc_plan_floats(c, h, w, kd[1], gp))
    local taps = dw_cl_floats(c, w, kd[1], tr) > 0 and round_up(kd[1] * kd[1] * c, 16) or 0
    A.PREP = A.PREP + packed + taps -- abl_dlka_dcnv3_prep_floats
  end
  A.EXTRA_SHARED = A.EXTRA_SHARED + fold
  return A
end

function M.render(cfg, variant)
  if not M.OFFSETS[variant] then
    error("deformable_LKA_Attention: unknown variant '" .. tostring(variant) .. "' (known: fused, im2col)")
  end
  local a, i = cfg.args, cfg.input
  local g = { N = int(i.n), C = int(a.d_model), H = int(i.h), W = int(i.w), variant = variant,
              version = M.version, ATT_VARIANT = a.variant }
  assert(g.C == int(i.c), "deformable_LKA_Attention: input channels differ from d_model")
  g.A = M.attention(a.variant, g.N, g.C, g.H, g.W, variant)
  g.config = (cfg.config or ""):gsub("[\\\"]", "\\%0"):gsub("%*/", "* /")
  local root = cfg.gen_root or "gen"
  return T.render_file(root .. "/templates/dlka.c.in", g)
end

return M
