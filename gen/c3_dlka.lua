-- gen/c3_dlka.lua — generator of C3_DCNv3_DLKA kernels (MODULES.md 6.3).
--
-- The C3 block of gen/c3.lua (its Convs chained with the Conv baseline's
-- gemm schedule, runtime/ablate_chain.h) with the deformable_LKA_Attention
-- of gen/dlka.lua (its plan, M.attention; runtime/ablate_dlka.h and, for
-- the DCNv3 variants, ablate_dlka_dcnv3.h) run after each bottleneck's cv2,
-- inside the same parallel region.  Buffers:
-- 2 = the concat (2 c_), 3 and 4 = bottleneck inputs/outputs in turn, 5 =
-- a bottleneck's hidden map, 6 = cv2's output (the attention's input).  The
-- last attention writes straight into the concat's first half (adding z
-- there when shortcut), cv2 the second half, so the concat moves no data.
local C = require "chain"
local D = require "dlka"
local T = require "template"
local U = require "util"
local int = U.int
local round_up = U.round_up
local clamp = U.clamp

local M = { version = 2, variants = D.variants } -- fused, im2col: gen/dlka.lua

-- The attention's tensors: official 12; DCNv3 variants 2 + 2 x 12 + 4.
local ATT_WEIGHTS = { official = 12, blog = 30, dcnv3_lka = 30 }


-- The Conv layers (gen/chain.lua) and the order of steps, conv or attention.
local function plan(g, a, c1, c, n, grp, natt)
  local add, steps = C.int(a.shortcut) == 1, {}
  local function conv(...) C.layer(g, ...); steps[#steps + 1] = { conv = #g.LAYERS - 1 } end
  local z = C.slice(3, c)
  conv("cv1", c1, c, 1, 1, 0, C.slice(0, c1), z)
  for i = 0, n - 1 do
    local w0 = 18 + i * (12 + natt)
    local out = i == n - 1 and C.slice(2, 2 * c, 0) or C.slice(z[1] == 3 and 4 or 3, c)
    conv("m." .. i .. ".cv1", c, c, 1, 1, w0, z, C.slice(5, c))
    conv("m." .. i .. ".cv2", c, c, 3, grp, w0 + 6, C.slice(5, c), C.slice(6, c))
    steps[#steps + 1] = { att = w0 + 12, idx = i, out = out, res = add and z or nil, name = "m." .. i }
    z = out
  end
  conv("cv2", c1, c, 1, 1, 6, C.slice(0, c1), C.slice(2, 2 * c, c))
  conv("cv3", 2 * c, g.C2, 1, 1, 12, C.slice(2, 2 * c), C.slice(1, g.C2))
  return steps
end

-- The block without a schedule: layers, steps, widths (gen/cuda_c3_dlka.lua
-- renders the same block for the device).
function M.block(cfg)
  local a, int = cfg.args, C.int
  local natt = assert(ATT_WEIGHTS[a.variant], "C3_DCNv3_DLKA: unknown variant " .. tostring(a.variant))
  local c1, c2, n, grp = int(a.c1), int(a.c2), int(a.n), int(a.g)
  local c = C.width(c2, a.e)
  local g = C.begin(cfg, "C3_DCNv3_DLKA", c1, c2)
  g.version = M.version
  g.args_text = string.format("c1=%d c2=%d n=%d shortcut=%d g=%d e=%s variant=%s bn_eps=%s",
    c1, c2, n, int(a.shortcut), grp, tostring(a.e), a.variant, g.EPS)
  g.ATT_VARIANT = a.variant
  g.BUF_CHANNELS = { 2 * c, c, c, c, c }
  g.STEPS = plan(g, a, c1, c, n, grp, natt)
  g.CH = c
  return g
end

-- cv1 and cv2 both read x: cv1's step runs both by abl_chain_1x1_tile
-- (ablate_chain.h: per block of 48 pixels every output block of both,
-- x's column read once), while x's pixels are in cache; cv2's step runs
-- cv2 only where that path cannot (e.g. without AVX-512: then each takes
-- run_layer in its own place).  Returns the pair's conv indices.
local function x1_pair(g)
  local first, second
  for _, s in ipairs(g.STEPS) do
    local L = s.conv and g.LAYERS[s.conv + 1]
    if L and L.name == "cv1" then first = s end
    if L and L.name == "cv2" then second = s end
  end
  first.x1, second.x1_skip = { first.conv, second.conv }, true
  return first.x1
end

function M.render(cfg, variant)
  if not D.OFFSETS[variant] then
    error("C3_DCNv3_DLKA: unknown variant '" .. tostring(variant) .. "' (known: fused, im2col)")
  end
  local a = cfg.args
  local g = M.block(cfg)
  local c = g.CH
  g.variant = variant
  -- layout as gen/chain.lua's render, plus the attention's u, a0 (official: a1) and
  -- its private region
  local tun, pix = C.tuning, g.H * g.W
  local kd = math.max(g.kdim_max, 1)
  g.TILE = math.min(round_up(clamp(tun.panel_bytes // (4 * kd), tun.min_tile, tun.max_tile), 16), pix)
  g.BUF_OFFS, g.SHARED_FLOATS = { 0, 0 }, 0
  for _, ch in ipairs(g.BUF_CHANNELS) do
    table.insert(g.BUF_OFFS, g.SHARED_FLOATS)
    g.SHARED_FLOATS = g.SHARED_FLOATS + round_up(g.N * ch * pix, 16)
  end
  g.NBUFS = 2 + #g.BUF_CHANNELS
  -- the bottleneck's 3x3 Convs take the Winograd path as the C3 baseline's
  -- do, F(4x4) or F(2x2) by the same model: one more shared buffer for
  -- their transformed weights, and its scratch in the private region
  g.WINO_BUF, g.WINO_FLOATS = 0, 0
  local wino_scratch = C.wino_layout(g, true)
  C.direct_layout(g)
  g.ATT_SHARED = g.SHARED_FLOATS
  g.A = D.attention(a.variant, g.N, c, g.H, g.W, variant)
  g.SHARED_FLOATS = g.SHARED_FLOATS + g.A.NACT * g.A.ACT + g.A.EXTRA_SHARED
  g.NLAYERS = #g.LAYERS
  g.X1 = x1_pair(g)
  g.PRIV_BN = 2 * g.bn_total
  g.PRIV_ATT = g.PRIV_BN + round_up(math.max(g.kdim_max * g.TILE, wino_scratch), 16)
  g.PRIV_FLOATS = g.PRIV_ATT + g.A.PRIV
  -- the prepared buffer (ablate_kernel_prepare): the Winograd weights U,
  -- then each bottleneck attention's weight-only data
  g.NATT = int(a.n)
  g.PREPARED_FLOATS = g.WINO_FLOATS + g.NATT * g.A.PREP
  local root = cfg.gen_root or "gen"
  return T.render_file(root .. "/templates/c3_dlka.c.in", g)
end

return M
