local t = nil
return sweep { name = t.field, module = "AKConv", shapes = {} }
