local m = require "no_such_lib"
return sweep { name = "x", module = "AKConv", shapes = {} }
