-- gen/c3.lua — generator of ultralytics C3 kernels (MODULES.md 3.4).
--
-- Buffers: 2 = the concat (2 c_ channels), 3 and 4 = bottleneck inputs and
-- outputs (c_ each, used in turn), 5 = a bottleneck's hidden map.  cv1
-- writes z into buffer 3; bottleneck i reads z from one of 3/4 and writes
-- the other, except the last, which writes straight into the first half of
-- the concat; cv2 writes the second half; cv3 reads the whole concat.  So
-- the concat moves no data.  Chained Conv gemm schedule (gen/chain.lua).
local C = require "chain"

local M = { version = 1, variants = { "gemm" } }

-- Weight indices (state_dict order): cv1.* 0, cv2.* 6, cv3.* 12,
-- m.i.cv1.* 18 + 12i, m.i.cv2.* 24 + 12i.
function M.render(cfg, variant)
  local a, int = cfg.args, C.int
  local c1, c2, n, grp = int(a.c1), int(a.c2), int(a.n), int(a.g)
  local c = C.width(c2, a.e)
  local g = C.begin(cfg, "C3", c1, c2)
  g.generator, g.section, g.version = "c3", "3.4", M.version
  g.args_text = string.format("c1=%d c2=%d n=%d shortcut=%d g=%d e=%s bn_eps=%s", c1, c2, n,
    int(a.shortcut), grp, tostring(a.e), g.EPS)
  g.BUF_CHANNELS = { 2 * c, c, c, c }
  local add = int(a.shortcut) == 1
  local z = C.slice(3, c)
  C.layer(g, "cv1", c1, c, 1, 1, 0, C.slice(0, c1), z)
  for i = 0, n - 1 do
    local out = i == n - 1 and C.slice(2, 2 * c, 0) or C.slice(z[1] == 3 and 4 or 3, c)
    C.layer(g, "m." .. i .. ".cv1", c, c, 1, 1, 18 + 12 * i, z, C.slice(5, c))
    C.layer(g, "m." .. i .. ".cv2", c, c, 3, grp, 24 + 12 * i, C.slice(5, c), out,
      add and z or nil)
    z = out
  end
  C.layer(g, "cv2", c1, c, 1, 1, 6, C.slice(0, c1), C.slice(2, 2 * c, c))
  C.layer(g, "cv3", 2 * c, c2, 1, 1, 12, C.slice(2, 2 * c), C.slice(1, c2))
  -- cv1 and cv2 both read x: one pass computes both while x's pixels are
  -- in cache (templates/chain_gemm.c.in's X1 pair, ablate_chain.h's
  -- abl_chain_1x1_tile; C3_DCNv3_DLKA runs its C3 part the same way).
  -- cv2 then runs before the bottlenecks, which never touch its half of
  -- the concat.  0-based layer indices.
  g.X1 = { 0, #g.LAYERS - 2 }
  return C.render(cfg, g, variant)
end

return M
