-- gen/cuda_util.lua — what the CUDA generators (gen/cuda_*.lua) share: the
-- weight sizes the device build copies, the emulation flag and rendering
-- a template of gen/templates/*.cu.in with them.
local T = require "template"
local U = require "util"

local M = {}

-- "{ 1728, 64, 64, 64, 64, 0 }": each weight's size in floats, 0 for the
-- int64 entries (num_batches_tracked), in the op row's weights() order.
function M.weight_floats(cfg)
  local out = {}
  for i, w in ipairs(cfg.weights or {}) do
    local n = 1
    for _, d in ipairs(w.shape) do n = n * U.int(d) end
    out[i] = w.int64 and 0 or n
  end
  if #out == 0 then out[1] = 0 end
  return "{ " .. table.concat(out, ", ") .. " }"
end

function M.numel(s) return U.int(s.n) * U.int(s.c) * U.int(s.h) * U.int(s.w) end

-- Renders gen/templates/NAME.cu.in with g plus the fields every .cu uses.
function M.render(cfg, g, name)
  g.WFLOATS = M.weight_floats(cfg)
  -- g.NX preset: an input other than cfg.input (a detection head's levels)
  g.NX, g.NY = g.NX or M.numel(cfg.input), M.numel(cfg.output)
  -- the descriptor goes into a C string literal and a comment
  g.config = (cfg.config or ""):gsub("[\\\"]", "\\%0"):gsub("%*/", "* /")
  local root = cfg.gen_root or "gen"
  return T.render_file(root .. "/templates/" .. name .. ".cu.in", g)
end

return M
