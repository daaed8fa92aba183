-- gen/dynamicconv.lua — generator of ParameterNet DynamicConv kernels
-- (sigmoid routing + timm CondConv2d; MODULES.md 5.4, padding 4.1).
--
-- Variants:
--   gemm   per sample: sigmoid(Linear(mean x)) gates on the E experts, the
--          E kernels (and biases) mixed once (v3: by every
--          thread into its own workspace), then the Conv baseline's
--          schedule: per-tile im2col + single-threaded sgemm, OpenMP across
--          tiles, bias fused into the tile epilogue (depthwise: a direct
--          per-plane conv; gen/dynconv_plan.lua,
--          templates/dynconv_gemm.c.in).  TF-SAME's extra bottom/right
--          pixel needs no code: im2col zero-fills past the input.
--          On AVX-512 the dense shapes of dynconv_plan.lua's direct_plan
--          (stride 1 "same", 3x3 stride 2 pad 1) convolve with the
--          register-blocked direct kernels of runtime/ablate_direct.h
--          instead (stride 2 on a per-tile space-to-depth copy of the
--          rows the tile reads, v4).
local P = require "dynconv_plan"

local M = { version = 4, variants = { "gemm" } }
M.tuning = P.tuning

local int = P.int
local PAD_NAMES = { [-1] = "''", [-2] = "same", [-3] = "valid" }

-- timm's padding along one axis of size n: (before, output size).
local function resolve(p, n, k, s, d)
  local span = d * (k - 1)
  local lo, total
  if p >= 0 then
    lo, total = p, 2 * p
  elseif p == -1 then
    lo = ((s - 1) + span) // 2
    total = 2 * lo
  elseif p == -3 then
    lo, total = 0, 0
  elseif s == 1 and span % 2 == 0 then
    lo, total = span // 2, span
  else
    total = math.max(((n + s - 1) // s - 1) * s + span + 1 - n, 0)
    lo = total // 2
  end
  return lo, (n + total - span - 1) // s + 1
end

-- The configuration as dynconv_plan.lua names it (also gen/cuda_dynconv.lua's input).
function M.geometry(cfg)
  local a, i = cfg.args, cfg.input
  local g = {
    MODULE = "DynamicConv", ROUTING = "sigmoid", version = M.version,
    N = int(i.n), C1 = int(a.in_features), C2 = int(a.out_features), H = int(i.h), W = int(i.w),
    K = int(a.kernel_size), S = int(a.stride), D = int(a.dilation), G = int(a.groups),
    E = int(a.num_experts), BIAS = int(a.bias),
  }
  local p = int(a.padding)
  assert(g.C1 == int(i.c), "DynamicConv: input channels differ from in_features")
  assert(g.G >= 1 and g.C1 % g.G == 0 and g.C2 % g.G == 0,
    "DynamicConv: in/out features must be divisible by groups")
  assert(g.E >= 1 and g.K >= 1 and g.S >= 1 and g.D >= 1 and p >= -3,
    "DynamicConv: invalid arguments")
  g.PT, g.HO = resolve(p, g.H, g.K, g.S, g.D)
  g.PL, g.WO = resolve(p, g.W, g.K, g.S, g.D)
  g.args_text = string.format(
    "in_features=%d out_features=%d kernel_size=%d stride=%d padding=%s dilation=%d groups=%d "
    .. "bias=%d num_experts=%d", g.C1, g.C2, g.K, g.S, PAD_NAMES[p] or tostring(p), g.D, g.G,
    g.BIAS, g.E)
  return g
end

function M.render(cfg, variant) return P.render(M.geometry(cfg), cfg, variant) end

return M
