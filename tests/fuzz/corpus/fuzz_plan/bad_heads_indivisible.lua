return sweep { name = "x", module = "ACmix", shapes = {{layer = "A", c1 = 6, c2 = 6, h = 8, w = 8, stride = 1}}, args = { head = 4 } }
