-- gen/cuda_chain.lua — CUDA kernels of the Conv chains (Bottleneck, C2f,
-- C3, SPPF: MODULES.md 3.2-3.5).  The CPU front-ends (gen/bottleneck.lua, ...)
-- describe a block as a list of stride-1 Convs reading and writing channel
-- slices of buffers (gen/chain.lua); this renders the same list through
-- templates/chain_gemm.cu.in instead of the C template.  It does so by
-- running the front-end with chain.render swapped for the CUDA one: every
-- generator runs in a fresh Lua state (harness/gen.c), so the swap cannot
-- leak into another render.
local C = require "chain"
local CU = require "cuda_util"

local M = {}

-- Buffer offsets in the workspace (buffers 2..: N x channels x H x W each),
-- then per layer its folded BN (scale, shift) and one image's columns.
local function plan(g)
  local pix, at = g.H * g.W, 0
  g.BUF_OFFS = { 0, 0 }
  for _, c in ipairs(g.BUF_CHANNELS) do
    table.insert(g.BUF_OFFS, at)
    at = at + g.N * c * pix
  end
  g.BUF_CHANS = { g.C1, g.C2 }
  for _, c in ipairs(g.BUF_CHANNELS) do table.insert(g.BUF_CHANS, c) end
  g.NBUFS = #g.BUF_OFFS
  g.NLAYERS = #g.LAYERS
  g.WS_BN = at
  local bn = 0
  for _, L in ipairs(g.LAYERS) do
    L.bn_at = at + bn
    bn = bn + 2 * L.cout
  end
  g.WS_COL = at + bn
  g.WS_FLOATS = g.WS_COL + math.max(g.kdim_max, 1) * pix
end

local function cuda_render(cfg, g, variant, template)
  if variant ~= "gemm" then
    error(g.module .. ": unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local t = template or g.template
  -- SPPF: its three max pools run between cv1 and cv2 (slices 1..3 of the concat)
  g.SPPF = t == "sppf_gemm.c.in"
  if t and not g.SPPF then
    error(g.module .. ": no CUDA template for " .. tostring(t))
  end
  g.variant = variant
  plan(g)
  return CU.render(cfg, g, "chain_gemm")
end

-- The CUDA generator over CPU front-end `front` ("bottleneck", "c2f", "c3").
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
