-- gen/cuda_dcnv3.lua — CUDA kernels of DCNv3 (DCNv3_pytorch, MODULES.md 6.1).
--
-- Variant fused (templates/dcnv3_fused.cu.in over
-- runtime/ablate_cuda_dcnv3.h), channels last inside: the four Linears
-- (input_proj, offset, mask, output_proj; the centre-feature-scale one
-- too) are cuBLAS sgemms over all pixels of the batch; the depthwise conv
-- + LayerNorm + GELU (one thread per pixel), the softmax of the mask (one
-- thread per pixel and group) and the deformable sampler (one thread per
-- pixel and channel, the mask applied as it sums) are element kernels.  No
-- (P x feature map) intermediate, unlike PyTorch's dcnv3_core_pytorch.
-- Geometry from gen/dcnv3.lua.  The layer's code is shared with
-- deformable_LKA_Attention's DCNv3 variants (gen/cuda_dlka.lua).
local D = require "dcnv3"
local CU = require "cuda_util"

local M = { version = 1, variants = { "fused" } }

-- Floats of abl_dcn_layout (runtime/ablate_cuda_dcnv3.h): rows x
-- (5 C + 3 G P + G) for a layer of c channels, g groups, kernel ks.
function M.ws_floats(rows, c, g, ks)
  return rows * (5 * c + 3 * g * ks * ks + g)
end

function M.render(cfg, variant)
  if variant ~= "fused" then
    error("DCNv3: unknown CUDA variant '" .. tostring(variant) .. "' (known: fused)")
  end
  local g = D.geometry(cfg)
  g.variant, g.version = variant, M.version
  g.WS_FLOATS = M.ws_floats(g.B * g.H * g.W, g.C, g.G, g.K)
  return CU.render(cfg, g, "dcnv3_fused")
end

return M
