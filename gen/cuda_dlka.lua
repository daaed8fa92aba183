-- gen/cuda_dlka.lua — CUDA kernels of deformable_LKA_Attention (MODULES.md
-- 6.2), all three variants (official, blog, dcnv3_lka: the module's
-- `variant` argument), through templates/dlka.cu.in over
-- runtime/ablate_cuda_dlka.h: the 1x1 convs and the official offset convs
-- as cuBLAS sgemms, GELU, gate, the depthwise deformable sampler as
-- element kernels; the DCNv3 variants run the DCNv3 row's layer code
-- (runtime/ablate_cuda_dcnv3.h).  M.attention gives gen/cuda_c3_dlka.lua
-- the same struct for its bottlenecks.
local CU = require "cuda_util"
local CD = require "cuda_dcnv3"
local U = require "util"
local int = U.int

local M = { version = 1, variants = { "gemm" } }

-- DCNv3 layers of the DCNv3 variants: kernel, dilation (group 4, dw
-- kernel = kernel, offset_scale 1, NCHW out, no centre-feature scale).
local DCN_LAYERS = { blog = { { 3, 1 }, { 3, 1 } }, dcnv3_lka = { { 5, 1 }, { 7, 3 } } }
local GROUP = 4

-- struct abl_dlka's initializer and its workspace floats (as
-- abl_dlka_ws_floats) for one attention over an n x c x h x w batch.
function M.attention(variant, n, c, h, w)
  local hw = h * w
  if variant == "official" then
    return string.format("{%d, %d, %d, %d, 1, {}}", n, c, h, w),
      3 * n * c * hw + n * 98 * hw + c * 49 * hw
  end
  local layers = assert(DCN_LAYERS[variant], "deformable_LKA_Attention: unknown variant " .. tostring(variant))
  assert(c % GROUP == 0, "deformable_LKA_Attention: channels must be divisible by group 4")
  local dcn, extra = {}, 0
  for i, kd in ipairs(layers) do
    dcn[i] = string.format("{%d, %d, %d, %d, %d, %d, %d, %d, 0, 0, 1.0f}", n, c, h, w, GROUP, kd[1],
      kd[1], kd[2])
    extra = math.max(extra, CD.ws_floats(n * hw, c, GROUP, kd[1]))
  end
  return string.format("{%d, %d, %d, %d, 0, {%s, %s}}", n, c, h, w, dcn[1], dcn[2]),
    3 * n * c * hw + extra
end

function M.render(cfg, variant)
  if variant ~= "gemm" then
    error("deformable_LKA_Attention: unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local a, i = cfg.args, cfg.input
  local g = { N = int(i.n), C = int(a.d_model), H = int(i.h), W = int(i.w), variant = variant,
              version = M.version, ATT_VARIANT = a.variant }
  assert(g.C == int(i.c), "deformable_LKA_Attention: input channels differ from d_model")
  g.ATT, g.WS_FLOATS = M.attention(a.variant, g.N, g.C, g.H, g.W)
  return CU.render(cfg, g, "dlka")
end

return M
