return sweep { name = "x", module = "DCNv3", shapes = {{layer = "A", c1 = 16, c2 = 32, h = 8, w = 8, stride = 1}} }
