-- gen/cuda_chain.lua — CUDA kernels of the blocks built from Conv chains
-- (Bottleneck, C2f, C3, SPPF, Detect, DetectV5, C2f_GhostModule_DynamicConv,
-- C3_DCNv3_DLKA).  The CPU front-ends (gen/bottleneck.lua, ...) describe a
-- block as a list of stride-1 Convs reading and writing channel slices of
-- buffers (gen/chain.lua), plus their own steps; this renders the same
-- lists through a CUDA template (templates/*.cu.in over
-- runtime/ablate_cuda_chain.h) instead of the C one.  It does so by
-- running the front-end with chain.render swapped for the CUDA one: every
-- generator runs in a fresh Lua state (harness/gen.c), so the swap cannot
-- leak into another render.
local C = require "chain"
local CU = require "cuda_util"

local M = {}

-- Layer L's struct abl_cu_layer initializer (runtime/ablate_cuda_chain.h).
local function layer_init(L)
  local function sl(s) return s and string.format("{%d, %d, %d}", s[1], s[2], s[3]) or "{-1, 0, 0}" end
  return string.format("{%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %s, %s, %s}", L.cin, L.cout, L.k,
    L.groups, L.w_index, L.head and 1 or 0, L.h, L.w, L.xoff or 0, L.bn_at, sl(L.src), sl(L.dst),
    sl(L.res))
end

-- Buffer offsets in the workspace (buffers 2..: N x channels x its pixels
-- each; g.BUF_PIX gives a buffer's own pixel count), then per layer its
-- folded BN, then g.EXTRA_FLOATS for the template's own steps (at
-- WS_EXTRA), then one image's columns (WS_COL).
function M.plan(g)
  local pix, at = g.H * g.W, 0
  g.BUF_OFFS = { 0, 0 }
  for i, c in ipairs(g.BUF_CHANNELS) do
    table.insert(g.BUF_OFFS, at)
    at = at + g.N * c * (g.BUF_PIX and g.BUF_PIX[i] or pix)
  end
  g.NBUFS = #g.BUF_OFFS
  assert(g.NBUFS <= 32, g.module .. ": more than 32 buffers (ABL_CHAIN_BUFS_MAX)")
  g.NLAYERS = #g.LAYERS
  local col = 0
  for _, L in ipairs(g.LAYERS) do
    L.h, L.w = L.h or g.H, L.w or g.W
    L.bn_at = at
    at = at + 2 * L.cout
    if L.k > 1 then col = math.max(col, L.cin * L.k * L.k * L.h * L.w) end
    L.cu = layer_init(L)
  end
  g.WS_EXTRA = at
  at = at + (g.EXTRA_FLOATS or 0)
  g.WS_COL = at
  g.WS_FLOATS = g.WS_COL + math.max(col, g.COL_FLOATS or 0, 1)
end

-- The CPU template a front-end asks for -> the CUDA template and what it
-- needs set beyond the layers.
local TEMPLATES = {
  ["chain_gemm.c.in"] = { name = "chain_gemm" },
  ["sppf_gemm.c.in"] = { name = "chain_gemm", prepare = function(g) g.SPPF = true end },
  ["detect_gemm.c.in"] = { name = "detect_gemm", prepare = function(g)
    for _, lv in ipairs(g.LEVELS) do -- six layers per level, from lv.first (0-based)
      for j = lv.first + 1, lv.first + 6 do
        local L = g.LAYERS[j]
        L.h, L.w, L.xoff = lv.h, lv.w, lv.xoff
      end
      g.NX = lv.xoff + g.N * g.LAYERS[lv.first + 1].cin * lv.h * lv.w -- x: every level's maps
    end
  end },
  ["c2f_ghost_gemm.c.in"] = { name = "c2f_ghost_gemm", prepare = function(g)
    -- every GhostModule reads slice src_c0 of the concat (buffer 2) and
    -- writes its oup channels at dst_c0 there; one workspace layout serves all
    local GH = require "cuda_ghostmodule"
    local pix = g.H * g.W
    for _, m in ipairs(g.GHOSTS) do
      m.cu, g.EXTRA_FLOATS = GH.module(g.G, g.CCAT, m.dst_c0, g.CCAT * pix)
    end
  end },
  ["detect_v5_gemm.c.in"] = { name = "detect_v5_gemm", prepare = function(g)
    -- one 1x1 head per level, each into its own map (buffer 1 + l): the
    -- decode runs once, after every head
    local no = g.BUF_CHANNELS[1]
    g.BUF_CHANNELS, g.BUF_PIX = {}, {}
    for l, lv in ipairs(g.LEVELS) do
      local L = g.LAYERS[l]
      L.h, L.w, L.xoff, L.head = lv.h, lv.w, lv.xoff, true
      L.dst = C.slice(1 + l, no)
      g.BUF_CHANNELS[l], g.BUF_PIX[l] = no, lv.h * lv.w
      g.NX = lv.xoff + g.N * L.cin * lv.h * lv.w
    end
  end },
}

local function cuda_render(cfg, g, variant, template)
  if variant ~= "gemm" then
    error(g.module .. ": unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local t = TEMPLATES[template or g.template or "chain_gemm.c.in"]
  if not t then
    error(g.module .. ": no CUDA template for " .. tostring(template or g.template))
  end
  g.SPPF = false
  if t.prepare then t.prepare(g) end
  g.variant = variant
  M.plan(g)
  return CU.render(cfg, g, t.name)
end

-- The CUDA generator over CPU front-end `front` ("bottleneck", "c2f", ...).
function M.generator(front)
  local F = require(front)
  local G = { version = 1, variants = { "gemm" } }
  function G.render(cfg, variant)
    local cpu_render = C.render
    C.render = cuda_render
    local ok, src = pcall(F.render, cfg, variant)
    C.render = cpu_render
    if not ok then error(src, 0) end
    return src
  end
  return G
end

return M
