-- gen/util.lua — the small helpers every generator uses: reading the
-- harness's arguments as Lua integers, rounding, clamping, C literals, and
-- the gemm tiling knobs shared by every generator that runs the Conv
-- baseline's schedule (so that a module and its baseline are tiled alike).
local M = {}

-- Integer argument; booleans may arrive as true/false or 0/1.
function M.int(v)
  if v == true then return 1 elseif v == false or v == nil then return 0 end
  return math.tointeger(v) or math.floor(v)
end

function M.round_up(v, to) return (v + to - 1) // to * to end
function M.clamp(v, lo, hi) return math.max(lo, math.min(hi, v)) end

-- "%.17g" round-trips a double, so BN eps is exactly the harness's.
function M.cdouble(v) return string.format("%.17g", v) end

-- Tuning knobs of the gemm schedule (gen/conv.lua's tile_plan and the
-- generators that reuse it).
M.gemm_tuning = {
  panel_bytes = 1024 * 1024, -- target size of a tile's K x TILE column panel
  min_tile = 512,            -- narrower tiles cost sgemm efficiency (measured)
  max_tile = 4096,
}

return M
