return sweep { name = "d", module = "Detect", backends = { "ref" }, shapes = { { layer = "A", c1 = 8, c2 = 8, h = 8, w = 8, stride = 1 } }, args = { nc = 2 } }
