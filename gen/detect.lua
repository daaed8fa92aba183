-- gen/detect.lua — generator of ultralytics YOLOv8 Detect kernels
-- (MODULES.md 3.6): per level, the box branch cv2 (Conv 3x3, Conv 3x3, 1x1
-- conv with bias) and the class branch cv3 (the same), then the DFL
-- expectation, the anchor decode and the class sigmoid.
--
-- The Convs are the chained Conv gemm schedule (gen/chain.lua,
-- runtime/ablate_chain.h) at each level's own size; the 1x1 heads are the
-- same tiles with scale 1, shift = bias and no activation.  Buffers (sized
-- for level 0, reused level after level): 2, 3 = the branch's two hidden
-- maps, 4 = box logits (64 ch), 5 = class logits (nc ch).  The input is the
-- levels' maps one after another (kernels/detect.c).  Template:
-- templates/detect_gemm.c.in.
local C = require "chain"

local M = { version = 1, variants = { "gemm" } }
local REG = 16

function M.render(cfg, variant)
  local a, int = cfg.args, C.int
  local nc, stride0 = int(a.nc), int(a.stride0)
  local ch = {}
  for l = 0, 3 do
    local c = int(a["ch" .. l])
    if c > 0 then table.insert(ch, c) end
  end
  local nl = #ch
  local c2, c3 = math.max(16, ch[1] // 4, 4 * REG), math.max(ch[1], math.min(nc, 100))
  local g = C.begin(cfg, "Detect", ch[1], 4 + nc)
  g.generator, g.section, g.version = "detect", "3.6", M.version
  local chs = table.concat(ch, ",")
  g.args_text = string.format("nc=%d ch=%s stride0=%d bn_eps=%s (c2=%d c3=%d)", nc, chs, stride0,
    g.EPS, c2, c3)
  local hid = math.max(c2, c3)
  g.BUF_CHANNELS = { hid, hid, 4 * REG, nc }
  g.NC, g.NL, g.REG, g.STRIDE0, g.C2, g.C3 = nc, nl, REG, stride0, c2, c3
  g.template = "detect_gemm.c.in"
  g.LEVELS, g.HEADS = {}, {}
  local h, w, xoff, anchors = g.H, g.W, 0, 0
  for l = 0, nl - 1 do
    local lv = { h = h, w = w, xoff = xoff, a0 = anchors, first = #g.LAYERS, stride = stride0 << l }
    for br = 0, 1 do
      local base, mid, cout = (br * nl + l) * 14, br == 0 and c2 or c3, br == 0 and 4 * REG or nc
      local out = C.slice(4 + br, cout)
      C.layer(g, string.format("cv%d.%d.0", br + 2, l), ch[l + 1], mid, 3, 1, base,
        C.slice(0, ch[l + 1]), C.slice(2, hid))
      C.layer(g, string.format("cv%d.%d.1", br + 2, l), mid, mid, 3, 1, base + 6, C.slice(2, hid),
        C.slice(3, hid))
      C.layer(g, string.format("cv%d.%d.2", br + 2, l), mid, cout, 1, 1, base + 12, C.slice(3, hid), out)
      g.LAYERS[#g.LAYERS].head = true -- conv with bias: scale 1, shift = bias, no SiLU
    end
    table.insert(g.LEVELS, lv)
    xoff = xoff + g.N * ch[l + 1] * h * w
    anchors = anchors + h * w
    h, w = (h + 1) // 2, (w + 1) // 2
  end
  g.ANCHORS, g.DFL_W = anchors, 2 * nl * 14
  return C.render(cfg, g, variant)
end

return M
