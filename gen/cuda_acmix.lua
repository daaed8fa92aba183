-- gen/cuda_acmix.lua — CUDA kernels of ACmix (MODULES.md 5.2).
--
-- Variant gemm (templates/acmix_gemm.cu.in), per image: the q, k, v 1x1
-- projections and fc (the 3*head heads to kernel_conv^2 maps per head
-- channel) as cuBLAS sgemms; the positional term (once), the local
-- attention (one thread per head and output pixel: logits, softmax and
-- the weighted v sum over the reflection-padded window) and dep_conv fused
-- with the rate1/rate2 mix (one thread per output element) as element
-- kernels.  Geometry from gen/acmix.lua.
local A = require "acmix"
local CU = require "cuda_util"

local M = { version = 1, variants = { "gemm" } }

function M.render(cfg, variant)
  if variant ~= "gemm" then
    error("ACmix: unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local g = A.geometry(cfg)
  g.variant, g.version = variant, M.version
  g.KC2 = g.KC * g.KC
  g.WS_PE = 0
  g.WS_QKV = g.WS_PE + g.HD * g.HW
  g.WS_F = g.WS_QKV + 3 * g.C * g.HW
  g.WS_ATT = g.WS_F + g.HD * g.KC2 * g.HW
  g.WS_FLOATS = g.WS_ATT + g.C * g.HO * g.WO
  return CU.render(cfg, g, "acmix_gemm")
end

return M
