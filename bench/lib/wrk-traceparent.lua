-- wrk script: every request carries a fresh, valid W3C traceparent (argument "unique"), or the same
-- request without one ("none"), built the same way so the two runs differ only in that header; the
-- inbound side's trace table then sees a new trace id per request, as it does in production.
-- Prints the run's summary like wrk-report.lua (loaded from beside this file).
-- usage: wrk -s wrk-traceparent.lua <url> -- unique|none [seed]
local here = debug.getinfo(1, 'S').source:sub(2):match('^(.*/)') or './'
dofile(here .. 'wrk-report.lua')

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set('thread_number', threads)
end

local mode, plain, head
local counter = 0

function init(args)
  mode = args[1] or 'unique'
  -- a different sequence per run and per thread; the counter below keeps ids unique within a thread
  math.randomseed((tonumber(args[2]) or os.time()) + (thread_number or 0) * 7919)
  plain = wrk.format()
  head = plain:sub(1, -3) -- the request without the empty line that ends its headers
end

local r = math.random
function request()
  if mode == 'none' then return plain end
  counter = (counter + 1) % 0x7fffffff
  -- 96 random bits and a 32-bit counter: random-looking ids, never repeated within a run
  local trace = string.format('%04x%04x%04x%04x%04x%04x%08x', r(0, 0xffff), r(0, 0xffff), r(0, 0xffff), r(0, 0xffff), r(0, 0xffff), r(0, 0xffff), counter)
  local parent = string.format('%04x%04x%04x%04x', r(1, 0xffff), r(0, 0xffff), r(0, 0xffff), r(0, 0xffff))
  return head .. 'traceparent: 00-' .. trace .. '-' .. parent .. '-01\r\n\r\n'
end
