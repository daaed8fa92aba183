return sweep { name = "x", module = "Conv", shapes = {{layer = "A", c1 = 6, c2 = 8, h = 8, w = 8, stride = 1}}, args = { k = 3, g = 4 } }
