-- gen/cuda_ghostmodule.lua — CUDA kernels of ParameterNet's GhostModule
-- (MODULES.md 5.5): two DynamicConvs (no bias, sigmoid routing), each +
-- BN (+ ReLU), concat, slice to oup.
--
-- Variant gemm (templates/ghost_gemm.cu.in): each DynamicConv is one
-- "stage": channel means, routing and expert mixing as element kernels,
-- per image an im2col and one cuBLAS sgemm per group with the image's
-- mixed kernel, then BN (+ ReLU) in place and the kept channels copied
-- into y.  The stage sizes are gen/ghostmodule.lua's (M.stage).
local G = require "ghostmodule"
local CU = require "cuda_util"

local M = { version = 1, variants = { "gemm" } }

function M.render(cfg, variant)
  if variant ~= "gemm" then
    error("GhostModule: unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local g = G.stage(cfg)
  g.variant, g.version = variant, M.version
  local pix = g.HO * g.WO
  -- workspace: x1, x2 (N x channels x pix), then per stage means, routing,
  -- mixed kernels, BN scale/shift, and one image's columns
  local at = 0
  local function region(name, floats) g[name] = at; at = at + floats end
  region("WS_X1", g.N * g.INIT * pix)
  region("WS_X2", g.N * g.NEW * pix)
  region("WS_MEAN", g.N * math.max(g.INP, g.INIT))
  region("WS_COEF", g.N * g.E)
  region("WS_MIX", g.N * math.max(g.INIT * g.KDIM, g.NEW * g.DW * g.DW))
  region("WS_BN", 2 * math.max(g.INIT, g.NEW))
  region("WS_COL", math.max(g.INP * g.K * g.K, g.INIT * g.DW * g.DW) * pix)
  g.WS_FLOATS = at
  return CU.render(cfg, g, "ghost_gemm")
end

return M
