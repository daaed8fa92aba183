-- gen/cuda_dcnv3.lua — CUDA kernels of DCNv3 (DCNv3_pytorch, MODULES.md 6.1).
--
-- Variant fused (templates/dcnv3_fused.cu.in), channels last inside: the
-- four Linears (input_proj, offset, mask, output_proj; the centre-feature
-- scale one too) are cuBLAS sgemms over all pixels of the batch; the
-- depthwise conv + LayerNorm + GELU (one thread per pixel), the softmax of
-- the mask (one thread per pixel and group) and the deformable sampler
-- (one thread per pixel and channel, the mask applied as it sums) are
-- element kernels.  No (P x feature map) intermediate, unlike PyTorch's
-- dcnv3_core_pytorch.  Geometry from gen/dcnv3.lua.
local D = require "dcnv3"
local CU = require "cuda_util"

local M = { version = 1, variants = { "fused" } }

function M.render(cfg, variant)
  if variant ~= "fused" then
    error("DCNv3: unknown CUDA variant '" .. tostring(variant) .. "' (known: fused)")
  end
  local g = D.geometry(cfg)
  g.variant, g.version = variant, M.version
  g.P = g.K * g.K
  g.GP = g.G * g.P
  local rows = g.B * g.H * g.W
  local regions = {
    { "WS_XL", g.C }, { "WS_XP", g.C }, { "WS_X1", g.C }, { "WS_OFF", 2 * g.GP },
    { "WS_MASK", g.GP }, { "WS_LAM", g.G }, { "WS_CORE", g.C }, { "WS_YL", g.C },
  }
  local at = 0
  for _, r in ipairs(regions) do
    g[r[1]] = at
    at = at + rows * r[2]
  end
  g.WS_FLOATS = at
  return CU.render(cfg, g, "dcnv3_fused")
end

return M
