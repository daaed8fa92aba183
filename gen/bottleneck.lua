-- gen/bottleneck.lua — generator of ultralytics Bottleneck kernels
-- (MODULES.md 3.2): cv1 (c1 -> c_, k x k), cv2 (c_ -> c2, k x k, groups g),
-- + x when shortcut and c1 == c2.  Chained Conv gemm schedule (gen/chain.lua).
local C = require "chain"

local M = { version = 1, variants = { "gemm" } }

-- Weight indices: cv1.* at 0, cv2.* at 6 (conv.weight + 5 BN tensors each).
function M.render(cfg, variant)
  local a, int = cfg.args, C.int
  local c1, c2, k, grp = int(a.c1), int(a.c2), int(a.k), int(a.g)
  local hidden = C.width(c2, a.e)
  local g = C.begin(cfg, "Bottleneck", c1, c2)
  g.generator, g.section, g.version = "bottleneck", "3.2", M.version
  g.args_text = string.format("c1=%d c2=%d shortcut=%d g=%d k=%d e=%s bn_eps=%s", c1, c2,
    int(a.shortcut), grp, k, tostring(a.e), g.EPS)
  g.BUF_CHANNELS = { hidden } -- buffer 2: cv1's output
  local add = int(a.shortcut) == 1 and c1 == c2
  C.layer(g, "cv1", c1, hidden, k, 1, 0, C.slice(0, c1), C.slice(2, hidden))
  C.layer(g, "cv2", hidden, c2, k, grp, 6, C.slice(2, hidden), C.slice(1, c2),
    add and C.slice(0, c1) or nil)
  return C.render(cfg, g, variant)
end

return M
