-- gen/cuda_dynconv.lua — CUDA kernels of DYConv2d (MODULES.md 5.3) and
-- DynamicConv (5.4), which differ only in the routing: both pool, route
-- to E experts, mix the experts into one kernel per sample and convolve.
--
-- Variant gemm (templates/dynconv_gemm.cu.in): channel means (one thread
-- per image and channel), routing (one thread per image), expert mixing
-- (one thread per image and kernel/bias element), then per image an
-- im2col and one cuBLAS sgemm per group with that image's mixed kernel,
-- into y prefilled with its mixed bias.  The geometry is the CPU
-- generator's (gen/dyconv.lua, gen/dynamicconv.lua: M.geometry).
local CU = require "cuda_util"

local M = {}

-- The CUDA generator of one front-end ("dyconv" or "dynamicconv").
function M.generator(front)
  local F = require(front)
  local G = { version = 1, variants = { "gemm" } }
  function G.render(cfg, variant)
    local g = F.geometry(cfg)
    if variant ~= "gemm" then
      error(g.MODULE .. ": unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
    end
    g.variant, g.version = variant, G.version
    g.PIX = g.HO * g.WO
    g.CIN_G, g.COUT_G = g.C1 // g.G, g.C2 // g.G
    g.KDIM = g.CIN_G * g.K * g.K
    g.WS_COEF = g.N * g.C1
    g.WS_MIX = g.WS_COEF + g.N * g.E
    g.WS_BIAS = g.WS_MIX + g.N * g.C2 * g.KDIM
    g.WS_COL = g.WS_BIAS + g.N * g.C2
    g.WS_FLOATS = g.WS_COL + g.C1 * g.K * g.K * g.PIX
    return CU.render(cfg, g, "dynconv_gemm")
  end
  return G
end

return M
