-- gen/akconv.lua — generator of AKConv kernels (MODULES.md 5.1).
--
-- Lua computes everything that is fixed for a configuration (output size,
-- the initial sampling shape p_n, tile sizes, workspace layout) and renders
-- one of two schedules:
--
--   gemm   channels-last copy of x, vector gathers over channels, p_conv and
--          the column conv as OpenBLAS sgemm on pixel tiles, fused BN+SiLU
--          epilogue (templates/akconv_gemm.c.in)
--   fused  no copy, no BLAS: 16-pixel tiles sampled straight from NCHW into
--          an L1 panel that a register-blocked micro-kernel consumes at once
--          (templates/akconv_fused.c.in)
local T = require "template"

local M = { version = 1, variants = { "gemm", "fused" } }

-- Initial sampling shape p_n (MODULES.md 5.1 step 2), the same integer
-- formula as kernels/akconv.c akconv_p_n.  Returns two 0-based lists.
local function p_n(N, grid)
  local b = 0
  while (b + 1) * (b + 1) <= N do b = b + 1 end
  local base = b + ((N > b * b + b) and 1 or 0)
  local rows, mod = N // base, N % base
  local pr, pc = {}, {}
  for n = 0, rows * base - 1 do
    if grid == "ij" then
      pr[n + 1], pc[n + 1] = n // base, n % base
    else
      pr[n + 1], pc[n + 1] = n % rows, n // rows
    end
  end
  for m = 0, mod - 1 do
    pr[rows * base + m + 1], pc[rows * base + m + 1] = rows, m
  end
  return pr, pc
end

local function round_up(v, to) return (v + to - 1) // to * to end
local function clamp(v, lo, hi) return math.max(lo, math.min(hi, v)) end

-- Integer argument; booleans may arrive as true/false or 0/1.
local function int(v)
  if v == true then return 1 elseif v == false or v == nil then return 0 end
  return math.tointeger(v) or math.floor(v)
end

-- "%.17g" round-trips a double, so BN eps is exactly the harness's.
local function cdouble(v) return string.format("%.17g", v) end

-- Shapes shared by both schedules.
local function shapes(cfg)
  local a = cfg.args
  local s = {
    B = int(cfg.input.n), C = int(a.inc), H = int(cfg.input.h), W = int(cfg.input.w),
    OUTC = int(a.outc), N = int(a.num_param), S = int(a.stride),
    BIAS = int(a.bias), GRID = a.grid or "ij", EPS = cdouble(a.bn_eps or 1e-5),
  }
  assert(s.C == int(cfg.input.c), "AKConv: input channels differ from inc")
  assert(s.N >= 1, "AKConv: num_param must be >= 1")
  assert(s.S >= 1, "AKConv: stride must be >= 1")
  assert(s.GRID == "ij" or s.GRID == "xy", "AKConv: grid must be ij or xy")
  s.HO, s.WO = (s.H - 1) // s.S + 1, (s.W - 1) // s.S + 1
  s.P = s.HO * s.WO
  s.PN_ROW, s.PN_COL = p_n(s.N, s.GRID)
  return s
end

-- gemm: pixel tiles.  The sample panel (N*inc floats per pixel) should
-- stay within about 256 KiB, inside L2 beside sgemm's packed copy of it;
-- tiles of at most 512 pixels.  Then the tile count is made even and at
-- least 8 jobs per call where the map allows it, and the pixels are split
-- evenly (TILE a multiple of 4), so that 1, 2 or 4 threads get equal
-- work: a 40x40 map at stride 2 (400 pixels) becomes 8 tiles of 52, not
-- 7 tiles of 64 (4 + 3 between two threads).
local function gemm_plan(s)
  local t_max = clamp((256 * 1024 // 4) // (s.N * s.C), 16, 512)
  local nt = (s.P + t_max - 1) // t_max
  nt = math.max(nt, (8 + s.B - 1) // s.B)
  nt = round_up(nt, 2)
  s.TILE = clamp(round_up((s.P + nt - 1) // nt, 4), 4, 512)
end

-- fused: 16-pixel tiles (one AVX-512 vector, two AVX2 vectors); channel
-- chunks sized so a panel chunk is at most 16 KiB (half of L1d).
local function fused_plan(s)
  s.TW = 16
  s.CB_OFF = clamp(256 // 9, 1, s.C)
  s.CB_COL = clamp(256 // s.N, 1, s.C)
end

local function clist(t)
  local out = {}
  for i, v in ipairs(t) do out[i] = tostring(v) end
  return table.concat(out, ", ")
end

function M.render(cfg, variant)
  local s = shapes(cfg)
  if variant == "gemm" then
    gemm_plan(s)
  elseif variant == "fused" then
    fused_plan(s)
  else
    error("AKConv: unknown variant '" .. tostring(variant) .. "' (known: gemm, fused)")
  end
  s.variant, s.version = variant, M.version
  s.config = cfg.config or ""
  s.args_text = string.format("inc=%d outc=%d num_param=%d stride=%d bias=%d grid=%s bn_eps=%s",
    s.C, s.OUTC, s.N, s.S, s.BIAS, s.GRID, s.EPS)
  s.clist = clist
  local root = cfg.gen_root or "gen"
  return T.render_file(root .. "/templates/akconv_" .. variant .. ".c.in", s)
end

M.p_n = p_n -- exposed for tests

return M
