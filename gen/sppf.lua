-- gen/sppf.lua — generator of ultralytics SPPF kernels (MODULES.md 3.5).
--
-- Buffers: 2 = the concat (4c channels).  cv1 writes y0 straight into the
-- concat's first slice, each max pool reads slice s-1 and writes slice s
-- (so concat moves no data), cv2 reads the whole concat into y.  The two
-- Convs are the chained Conv gemm schedule (gen/chain.lua); the pools are
-- separable (a k-wide row max, then a k-tall column max), one plane per
-- OpenMP job.  Template: templates/sppf_gemm.c.in.
local C = require "chain"

local M = { version = 1, variants = { "gemm" } }

-- Weight indices (state_dict order): cv1.* 0, cv2.* 6.
function M.render(cfg, variant)
  local a, int = cfg.args, C.int
  local c1, c2, k = int(a.c1), int(a.c2), int(a.k)
  local c = c1 // 2
  assert(k % 2 == 1, "SPPF: k must be odd")
  local g = C.begin(cfg, "SPPF", c1, c2)
  g.generator, g.section, g.version = "sppf", "3.5", M.version
  g.args_text = string.format("c1=%d c2=%d k=%d bn_eps=%s", c1, c2, k, g.EPS)
  g.BUF_CHANNELS = { 4 * c }
  g.C_HID, g.POOL_K = c, k
  g.template = "sppf_gemm.c.in"
  g.priv_extra = g.H * g.W -- one plane: the row-max pass of a pool
  C.layer(g, "cv1", c1, c, 1, 1, 0, C.slice(0, c1), C.slice(2, 4 * c, 0))
  C.layer(g, "cv2", 4 * c, c2, 1, 1, 6, C.slice(2, 4 * c), C.slice(1, c2))
  return C.render(cfg, g, variant)
end

return M
