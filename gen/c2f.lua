-- gen/c2f.lua — generator of ultralytics C2f kernels (MODULES.md 3.3).
--
-- Buffers: 2 = the concat (2 + n) * c channels, 3 = a Bottleneck's hidden
-- map (c channels).  cv1 writes chunks y0, y1 straight into the concat;
-- Bottleneck i reads y_{i+1} from it and writes y_{i+2} into it (its
-- residual add reads y_{i+1} there too); cv2 reads the whole concat.  So
-- chunk and concat move no data.  Chained Conv gemm schedule (gen/chain.lua).
local C = require "chain"

local M = { version = 1, variants = { "gemm" } }

-- Weight indices (state_dict order): cv1.* 0, cv2.* 6, m.i.cv1.* 12 + 12i,
-- m.i.cv2.* 18 + 12i.
function M.render(cfg, variant)
  local a, int = cfg.args, C.int
  local c1, c2, n, grp = int(a.c1), int(a.c2), int(a.n), int(a.g)
  local c = C.width(c2, a.e)
  local ccat = (2 + n) * c
  local g = C.begin(cfg, "C2f", c1, c2)
  g.generator, g.section, g.version = "c2f", "3.3", M.version
  g.args_text = string.format("c1=%d c2=%d n=%d shortcut=%d g=%d e=%s bn_eps=%s", c1, c2, n,
    int(a.shortcut), grp, tostring(a.e), g.EPS)
  g.BUF_CHANNELS = { ccat, c }
  local add = int(a.shortcut) == 1
  C.layer(g, "cv1", c1, 2 * c, 1, 1, 0, C.slice(0, c1), C.slice(2, ccat, 0))
  for i = 0, n - 1 do
    local src = C.slice(2, ccat, (i + 1) * c)
    C.layer(g, "m." .. i .. ".cv1", c, c, 3, 1, 12 + 12 * i, src, C.slice(3, c))
    C.layer(g, "m." .. i .. ".cv2", c, c, 3, grp, 18 + 12 * i, C.slice(3, c),
      C.slice(2, ccat, (i + 2) * c), add and src or nil)
  end
  C.layer(g, "cv2", ccat, c2, 1, 1, 6, C.slice(2, ccat), C.slice(1, c2))
  return C.render(cfg, g, variant)
end

return M
