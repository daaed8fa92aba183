-- experiments/lib/yolov8n_shapes.lua — the Conv layers of YOLOv8n and the
-- shapes they see, so a sweep can name layers instead of copying numbers.
--
-- From ultralytics' yolov8.yaml at scale n (depth 0.33, width 0.25, max 1024
-- channels): index = the YAML layer index, c1 -> c2 channels, the layer's
-- input size as a fraction of imgsz, stride.  Layers 1, 3, 5, 7 are the
-- backbone's strided 3x3 Convs, 16 and 19 the head's (where the AKConv seed
-- YAML puts AKConv).
local M = {}

local conv_layers = {
  [0]  = { c1 = 3,   c2 = 16,  div = 1,  stride = 2 },
  [1]  = { c1 = 16,  c2 = 32,  div = 2,  stride = 2 },
  [3]  = { c1 = 32,  c2 = 64,  div = 4,  stride = 2 },
  [5]  = { c1 = 64,  c2 = 128, div = 8,  stride = 2 },
  [7]  = { c1 = 128, c2 = 256, div = 16, stride = 2 },
  [16] = { c1 = 64,  c2 = 64,  div = 8,  stride = 2 },
  [19] = { c1 = 128, c2 = 128, div = 16, stride = 2 },
}

-- layers({1, 3, 5}, imgsz) -> list of shape rows for sweep{ shapes = ... }
function M.layers(indices, imgsz)
  imgsz = imgsz or 640
  local rows = {}
  for _, i in ipairs(indices) do
    local l = conv_layers[i]
    if not l then
      error(("yolov8n_shapes: layer %s is not a Conv layer of YOLOv8n (known: 0, 1, 3, 5, 7, 16, 19)")
        :format(tostring(i)), 2)
    end
    local hw = imgsz // l.div
    rows[#rows + 1] = { layer = "L" .. i, c1 = l.c1, c2 = l.c2, h = hw, w = hw, stride = l.stride }
  end
  return rows
end

-- The C2f layers of YOLOv8n (yolov8.yaml at scale n): c1 -> c2, the
-- repeats n' = max(round(n * 0.33), 1) (3 -> 1, 6 -> 2), the map size as a
-- fraction of imgsz and shortcut (True in the backbone, False in the head).
-- Layers 12, 15, 18, 21 read a Concat (384 = 256 + 128, 192 = 128 + 64).
local c2f_layers = {
  [2]  = { c1 = 32,  c2 = 32,  n = 1, div = 4,  shortcut = true },
  [4]  = { c1 = 64,  c2 = 64,  n = 2, div = 8,  shortcut = true },
  [6]  = { c1 = 128, c2 = 128, n = 2, div = 16, shortcut = true },
  [8]  = { c1 = 256, c2 = 256, n = 1, div = 32, shortcut = true },
  [12] = { c1 = 384, c2 = 128, n = 1, div = 16, shortcut = false },
  [15] = { c1 = 192, c2 = 64,  n = 1, div = 8,  shortcut = false },
  [18] = { c1 = 192, c2 = 128, n = 1, div = 16, shortcut = false },
  [21] = { c1 = 384, c2 = 256, n = 1, div = 32, shortcut = false },
}

-- c2f_layers({2, 4, ...}, imgsz) -> shape rows whose `args` carry the
-- layer's n and shortcut (set on the module and on a C2f baseline alike).
function M.c2f_layers(indices, imgsz)
  imgsz = imgsz or 640
  local rows = {}
  for _, i in ipairs(indices) do
    local l = c2f_layers[i]
    if not l then
      error(("yolov8n_shapes: layer %s is not a C2f layer of YOLOv8n (known: 2, 4, 6, 8, 12, 15, 18, 21)")
        :format(tostring(i)), 2)
    end
    local hw = imgsz // l.div
    rows[#rows + 1] = { layer = "L" .. i, c1 = l.c1, c2 = l.c2, h = hw, w = hw, stride = 1,
                        args = { n = l.n, shortcut = l.shortcut } }
  end
  return rows
end

return M
