-- gen/detect.lua — generator of ultralytics YOLOv8 Detect kernels
-- (MODULES.md 3.6): per level, the box branch cv2 (Conv 3x3, Conv 3x3, 1x1
-- conv with bias) and the class branch cv3 (the same), then the DFL
-- expectation, the anchor decode and the class sigmoid.
--
-- The Convs are the chained Conv gemm tiles (gen/chain.lua,
-- runtime/ablate_chain.h); the 1x1 heads are the same tiles with scale 1,
-- shift = bias and no activation.  The 2 * NL branches are independent, so
-- the schedule is stage-major with two barriers in all (v2; v1 ran layer
-- after layer, 6 barriers per level, and its coarsest level was one tile,
-- i.e. one thread): stage 0 = every branch's first 3x3 Conv, every tile of
-- every level in one job list; stage 1 = per tile the second 3x3 Conv, the
-- 1x1 head on the same pixels (no halo) and that tile's part of the output
-- (DFL + decode for box tiles, sigmoid for class tiles).  Each branch has
-- its own buffers (hidden, hidden, logits) at its level's size.  The input
-- is the levels' maps one after another (kernels/detect.c).  Template:
-- templates/detect_gemm.c.in.
local C = require "chain"
local U = require "util"

local M = { version = 2, variants = { "gemm" } }
local REG = 16

-- How a level's map is cut into jobs for layer L: ntiles jobs of whole
-- units of `unit` pixels (units of them in the map).  F(2x2) and the sgemm
-- path: tiles split at even rows (a Winograd 2 x 2 tile never straddles
-- two) where at most `tile` pixels (the column panel of the sgemm path)
-- still hold whole row pairs.  F(4x4) needs no column panel: whole tile
-- rows (4 output rows), about two batches (96 tiles) a job, so that a
-- job's vectors of 16 tiles are nearly full (80^2: 4 tile rows = 80
-- tiles = 5 full vectors) and Detect's 80^2 level still gives 5 jobs a
-- branch to deal out.
local function job_split(lv, L, tile)
  local pix = lv.h * lv.w
  if L.wino_m == 4 then
    local trows = (lv.h + 3) // 4
    local per = math.max(1, 96 // ((lv.w + 3) // 4))
    return (trows + per - 1) // per, 4 * lv.w, trows
  end
  local pairs, per = (lv.h + 1) // 2, tile // (2 * lv.w)
  if per >= 1 then return (pairs + per - 1) // per, 2 * lv.w, pairs end
  return (pix + tile - 1) // tile, 1, pix
end

-- Jobs of one stage, most expensive first (the template deals them out
-- dynamically, so the big ones do not end up last).
local function stage_jobs(g, stage, tile)
  local jobs = {}
  for li, lv in ipairs(g.LEVELS) do
    local pix = lv.h * lv.w
    for br = 0, 1 do
      local first = lv.first + br * 3 -- 0-based index of the branch's first layer
      local L = g.LAYERS[first + stage + 1]
      local ntiles, unit, units = job_split(lv, L, tile)
      for t = 0, ntiles - 1 do
        local p0 = t * units // ntiles * unit
        local p1 = math.min((t + 1) * units // ntiles * unit, pix)
        local cost = (p1 - p0) * L.cout * L.cin * L.k * L.k
        if stage == 1 then
          local H = g.LAYERS[first + 3]
          cost = cost + (p1 - p0) * H.cout * H.cin
        end
        table.insert(jobs, { layer = first + stage, level = li - 1, br = br, p0 = p0, np = p1 - p0,
                             cost = cost })
        -- the sgemm path's column panel (builds without AVX-512 take it
        -- for F(4x4) jobs too, which may be wider than `tile`)
        g.col_floats = math.max(g.col_floats or 0, (p1 - p0) * L.cin * L.k * L.k)
      end
    end
  end
  table.sort(jobs, function(a, b)
    if a.cost ~= b.cost then return a.cost > b.cost end
    if a.layer ~= b.layer then return a.layer < b.layer end
    return a.p0 < b.p0
  end)
  return jobs
end

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
  g.BUF_PIX = {}
  g.NC, g.NL, g.REG, g.STRIDE0, g.C2, g.C3 = nc, nl, REG, stride0, c2, c3
  g.template = "detect_gemm.c.in"
  g.LEVELS = {}
  local h, w, xoff, anchors = g.H, g.W, 0, 0
  for l = 0, nl - 1 do
    local lv = { h = h, w = w, xoff = xoff, a0 = anchors, first = #g.LAYERS, stride = stride0 << l }
    for br = 0, 1 do
      local base, mid, cout = (br * nl + l) * 14, br == 0 and c2 or c3, br == 0 and 4 * REG or nc
      local b0 = 2 + #g.BUF_CHANNELS -- this branch's buffers: hidden, hidden, logits
      for _, c in ipairs({ mid, mid, cout }) do
        table.insert(g.BUF_CHANNELS, c)
        table.insert(g.BUF_PIX, h * w)
      end
      lv[br == 0 and "box" or "cls"] = b0 + 2
      C.layer(g, string.format("cv%d.%d.0", br + 2, l), ch[l + 1], mid, 3, 1, base,
        C.slice(0, ch[l + 1]), C.slice(b0, mid))
      C.layer(g, string.format("cv%d.%d.1", br + 2, l), mid, mid, 3, 1, base + 6, C.slice(b0, mid),
        C.slice(b0 + 1, mid))
      for i = #g.LAYERS - 1, #g.LAYERS do -- F(4x4) or F(2x2) on this level's map
        local L = g.LAYERS[i]
        if L.wino_m then L.wino_m = C.wino_pick(L.cin, L.cout, h, w) end
      end
      C.layer(g, string.format("cv%d.%d.2", br + 2, l), mid, cout, 1, 1, base + 12,
        C.slice(b0 + 1, mid), C.slice(b0 + 2, cout))
      g.LAYERS[#g.LAYERS].head = true -- conv with bias: scale 1, shift = bias, no SiLU
    end
    table.insert(g.LEVELS, lv)
    xoff = xoff + g.N * ch[l + 1] * h * w
    anchors = anchors + h * w
    h, w = (h + 1) // 2, (w + 1) // 2
  end
  g.ANCHORS, g.DFL_W = anchors, 2 * nl * 14
  -- the tile width C.render will pick (same formula), for the job lists
  local tun, kd = C.tuning, math.max(g.kdim_max, 1)
  local tile = math.min(U.round_up(U.clamp(tun.panel_bytes // (4 * kd), tun.min_tile, tun.max_tile),
    16), g.H * g.W)
  g.JOBS0, g.JOBS1 = stage_jobs(g, 0, tile), stage_jobs(g, 1, tile)
  g.NJOBS0, g.NJOBS1 = #g.JOBS0, #g.JOBS1
  local out = C.render(cfg, g, variant)
  -- (the CUDA render, gen/cuda_chain.lua, has no tiles and sets no TILE)
  assert(g.TILE == nil or g.TILE == tile, "Detect: tile width differs from chain.lua's")
  return out
end

return M
