-- gen/template.lua — the template engine of the generator.
--
-- In the spirit of lemon's template driver: a template looks like the C it
-- produces, with two kinds of insertion.
--
--   $(expr)   inserts tostring(expr), expr a Lua expression evaluated in the
--             render environment; an expression that is nil is an error (a
--             misspelt name must not silently print "nil" into C).
--   $$        a literal "$".  A "$" followed by anything else is copied.
--   % stmt    a line whose first non-blank character is "%" is a Lua
--             statement (% for i = 1, N do / % end / % if x then /
--             % local y = 3); it produces no output.
--
-- Every other line is copied verbatim, newline included.
--
-- A template is translated into one Lua chunk, one chunk line per template
-- line, and compiled once; the chunk is named after the template file, so
-- any Lua error, at compile or render time, reads "FILE:LINE: message" with
-- the template's own line number.
--
-- Names resolve in the environment passed to render, then in a small safe
-- base (math, string, table, ipairs, pairs, tostring, tonumber, type, select,
-- error, assert, next, fmt = string.format).  Assignments to globals inside
-- a template stay in a per-render scratch table; the caller's env is never
-- written.
local M = {}

local base = {
  math = math, string = string, table = table, ipairs = ipairs, pairs = pairs,
  tostring = tostring, tonumber = tonumber, type = type, select = select,
  error = error, assert = assert, next = next, fmt = string.format,
}

-- A Lua string literal for s that spans exactly one source line (so
-- template and chunk line numbers stay aligned): every control character,
-- quote and backslash becomes a decimal escape.
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\%03d", c:byte()) end) .. '"'
end

-- End (index of the closing parenthesis) of the "$(" expression whose "("
-- is at position open; skips parentheses inside string literals.
local function expr_end(line, open, where)
  local depth, i, n = 0, open, #line
  while i <= n do
    local c = line:sub(i, i)
    if c == "(" then
      depth = depth + 1
    elseif c == ")" then
      depth = depth - 1
      if depth == 0 then return i end
    elseif c == '"' or c == "'" then
      local j = i + 1
      while j <= n and line:sub(j, j) ~= c do
        if line:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      i = j
    end
    i = i + 1
  end
  error(where .. ": unclosed $( in template", 0)
end

-- Lua code emitting one verbatim line (text, newline) with its $() parts.
local function text_line(text, newline, where)
  local parts, pos = {}, 1
  while true do
    local d = text:find("$", pos, true)
    if not d then break end
    local nxt = text:sub(d + 1, d + 1)
    if nxt == "$" then
      parts[#parts + 1] = quote(text:sub(pos, d))
      pos = d + 2
    elseif nxt == "(" then
      local close = expr_end(text, d + 1, where)
      if d > pos then parts[#parts + 1] = quote(text:sub(pos, d - 1)) end
      local expr = text:sub(d + 2, close - 1)
      parts[#parts + 1] = "_put((" .. expr .. "), " .. quote(expr) .. ")"
      pos = close + 1
    else
      parts[#parts + 1] = quote(text:sub(pos, d))
      pos = d + 1
    end
  end
  local rest = text:sub(pos) .. newline
  if rest ~= "" then parts[#parts + 1] = quote(rest) end
  if #parts == 0 then return "" end
  return "_emit(" .. table.concat(parts, ", ") .. ")"
end

-- Translates template text into the source of a chunk that takes
-- (_ENV, _emit, _put) and emits the output pieces in order.
local function translate(text, chunkname)
  local code, lineno = {}, 0
  for line, newline in text:gmatch("([^\n]*)(\n?)") do
    if line == "" and newline == "" then break end -- gmatch's empty tail
    lineno = lineno + 1
    local stmt = line:match("^%s*%%(.*)$")
    local where = chunkname .. ":" .. lineno
    code[lineno] = stmt or text_line(line, newline, where)
  end
  code[1] = "local _ENV, _emit, _put = ...; " .. (code[1] or "")
  return table.concat(code, "\n")
end

-- Compiles template text once into a render function f(env) -> string.
function M.compile(text, chunkname)
  chunkname = chunkname or "template"
  local src = translate(text, chunkname)
  local fn, err = load(src, "@" .. chunkname, "t")
  if not fn then error(err, 0) end
  return function(env)
    env = env or {}
    local scope = setmetatable({}, {
      __index = function(_, k)
        local v = env[k]
        if v == nil then v = base[k] end
        return v
      end,
    })
    local out = {}
    local function emit(...)
      for i = 1, select("#", ...) do out[#out + 1] = select(i, ...) end
    end
    local function put(v, expr)
      -- level 2: the error points at the template line that used $(expr)
      if v == nil then error("$(" .. expr .. ") is nil", 2) end
      return tostring(v)
    end
    fn(scope, emit, put)
    return table.concat(out)
  end
end

function M.render_string(text, env, chunkname)
  return M.compile(text, chunkname)(env)
end

-- Compiled templates by path: a generator rendering many tiles of the same
-- template pays for the translation once per Lua state.
local compiled = {}

function M.render_file(path, env)
  local fn = compiled[path]
  if not fn then
    local f, err = io.open(path, "r")
    if not f then error("cannot open template: " .. tostring(err), 2) end
    local text = f:read("a")
    f:close()
    fn = M.compile(text, path)
    compiled[path] = fn
  end
  return fn(env)
end

return M
