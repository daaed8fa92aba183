-- gen/detect_v5.lua — generator of the YOLOv5 repository's anchor-based
-- Detect kernels (MODULES.md 3.7): per level one 1x1 conv with bias
-- (na * (nc + 5) outputs; the Conv gemm tiles of gen/chain.lua with scale
-- 1, shift = bias, no activation) into the workspace, then sigmoid and the
-- grid/anchor decode into the (N, rows, no) output.  The input is the
-- levels' maps one after another (kernels/detect_v5.c).  Template:
-- templates/detect_v5_gemm.c.in.
local C = require "chain"

local M = { version = 2, variants = { "gemm" } }

function M.render(cfg, variant)
  local a, int = cfg.args, C.int
  local nc, na, stride0 = int(a.nc), int(a.na), int(a.stride0)
  local ch = {}
  for l = 0, 3 do
    local c = int(a["ch" .. l])
    if c > 0 then table.insert(ch, c) end
  end
  local no = nc + 5
  local g = C.begin(cfg, "DetectV5", ch[1], no)
  g.generator, g.section, g.version = "detect_v5", "3.7", M.version
  g.args_text = string.format("nc=%d na=%d ch=%s stride0=%d", nc, na, table.concat(ch, ","), stride0)
  g.BUF_CHANNELS = { na * no }
  g.NC, g.NA, g.NO, g.NL = nc, na, no, #ch
  g.template = "detect_v5_gemm.c.in"
  g.LEVELS = {}
  local h, w, xoff, rows = g.H, g.W, 0, 0
  for l = 0, #ch - 1 do
    table.insert(g.LEVELS, { h = h, w = w, xoff = xoff, r0 = rows, stride = stride0 << l })
    C.layer(g, "m." .. l, ch[l + 1], na * no, 1, 1, 1 + 2 * l, C.slice(0, ch[l + 1]),
      C.slice(2, na * no))
    xoff = xoff + g.N * ch[l + 1] * h * w
    rows = rows + na * h * w
    h, w = (h + 1) // 2, (w + 1) // 2
  end
  g.ROWS = rows
  return C.render(cfg, g, variant)
end

return M
