-- gen/dyconv.lua — generator of DYConv2d kernels (Dynamic Convolution,
-- CVPR 2020; MODULES.md 5.3).
--
-- Variants:
--   gemm   per sample: softmax(fc2(relu(fc1(mean x))) / T) over the K
--          experts, the K kernels and biases mixed once (v3: by every
--          thread into its own workspace), then the Conv
--          baseline's schedule: per-tile im2col + single-threaded sgemm,
--          OpenMP across tiles, bias fused into the tile epilogue; depthwise
--          (in/groups == 1) runs a direct per-plane conv instead
--          (gen/dynconv_plan.lua, templates/dynconv_gemm.c.in)
--          On AVX-512 the dense shapes of dynconv_plan.lua's direct_plan
--          (stride 1 "same", 3x3 stride 2 pad 1) convolve with the
--          register-blocked direct kernels of runtime/ablate_direct.h
--          instead (stride 2 on a per-tile space-to-depth copy of the
--          rows the tile reads, v4).
local P = require "dynconv_plan"

local M = { version = 4, variants = { "gemm" } }
M.tuning = P.tuning

local int = P.int

local function conv_out(n, k, s, p, d) return (n + 2 * p - d * (k - 1) - 1) // s + 1 end

-- The configuration as dynconv_plan.lua names it (also gen/cuda_dynconv.lua's input).
function M.geometry(cfg)
  local a, i = cfg.args, cfg.input
  local g = {
    MODULE = "DYConv2d", ROUTING = "softmax", version = M.version,
    N = int(i.n), C1 = int(a.in_planes), C2 = int(a.out_planes), H = int(i.h), W = int(i.w),
    K = int(a.kernel_size), S = int(a.stride), D = int(a.dilation), G = int(a.groups),
    E = int(a.K), BIAS = int(a.bias), TEMP = int(a.temperature),
  }
  local p = int(a.padding)
  assert(g.C1 == int(i.c), "DYConv2d: input channels differ from in_planes")
  assert(g.G >= 1 and g.C1 % g.G == 0 and g.C2 % g.G == 0,
    "DYConv2d: channels must be divisible by groups")
  assert(g.E >= 1 and g.K >= 1 and g.S >= 1 and g.D >= 1 and p >= 0, "DYConv2d: invalid arguments")
  -- the upstream special case: an RGB input gets K hidden units
  g.HIDDEN = g.C1 == 3 and g.E or math.floor(g.C1 * a.ratio) + 1
  g.PT, g.PL = p, p
  g.HO, g.WO = conv_out(g.H, g.K, g.S, p, g.D), conv_out(g.W, g.K, g.S, p, g.D)
  g.args_text = string.format(
    "in_planes=%d out_planes=%d kernel_size=%d ratio=%s stride=%d padding=%d dilation=%d "
    .. "groups=%d bias=%d K=%d temperature=%d", g.C1, g.C2, g.K, tostring(a.ratio), g.S, p, g.D,
    g.G, g.BIAS, g.E, g.TEMP)
  return g
end

function M.render(cfg, variant) return P.render(M.geometry(cfg), cfg, variant) end

return M
