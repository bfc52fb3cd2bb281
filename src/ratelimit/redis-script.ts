// The Redis side of check-all-then-commit: one Lua script, atomic across every key of a check. It mirrors
// evaluate.ts and sliding-window.ts line for line; the Redis contract suite compares the two on random traffic.
//
// KEYS: rate counters, then quota counters.
// ARGV: now, commit (1|0), number of rates, TTL grace (ms), then per rate (limit, windowMs, cost),
//       then per quota (limit, periodStart, periodEnd or -1 for none, cost).
// Reply: verdict (1|0), then one "charged" pass and, unless committed, one "report" pass, each of
//        per rate (allowed, remaining, resetMs, retryAfterMs) and per quota (allowed, used, remaining, resetMs,
//        retryAfterMs), where -1 stands for null. Redis turns Lua numbers into integers, and all of these are.
/** A rate counter's stored window moved to the one `now` falls in: the last one's count becomes `p`. */
const CURRENT_WINDOW = `
local function current_window(raw, now, w)
  local start = now - (now % w)
  local sw, sp, sc = tonumber(raw[1]), tonumber(raw[2]), tonumber(raw[3])
  if sw and sw >= start then return { w = sw, p = sp, c = sc } end
  if sw and sw == start - w then return { w = start, p = sc, c = 0 } end
  return { w = start, p = 0, c = 0 }
end
`;

export const RATE_LIMIT_SCRIPT = `${CURRENT_WINDOW}
local now = tonumber(ARGV[1])
local commit = ARGV[2] == '1'
local rate_count = tonumber(ARGV[3])
local grace = tonumber(ARGV[4])
local quota_count = #KEYS - rate_count
local quota_base = 4 + rate_count * 3

local function floordiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end

local function fits(s, elapsed, w, limit, need)
  return s.p * (w - elapsed) + (s.c + need) * w <= limit * w
end

local function remaining_units(s, elapsed, w, limit)
  local spare = limit * w - s.c * w - s.p * (w - elapsed)
  if spare <= 0 then return 0 end
  return floordiv(spare, w)
end

local function until_fits(s, elapsed, w, limit, need)
  if need > limit then return -1 end
  local spare = limit - s.c - need
  if spare >= 0 then
    if s.p == 0 then return 0 end
    local at = w - floordiv(spare * w, s.p)
    if at <= elapsed then return 0 end
    if at < w then return at - elapsed end
  end
  local at_next = 0
  if s.c > 0 then at_next = math.max(0, w - floordiv((limit - need) * w, s.c)) end
  return w - elapsed + at_next
end

local stored = {}
local function read(key, fields)
  local value = stored[key]
  if value == nil then
    value = redis.call('HMGET', key, unpack(fields))
    stored[key] = value
  end
  return value
end

local function walk(consume, out)
  local windows, quotas = {}, {}
  local allowed = true
  for i = 1, rate_count do
    local key = KEYS[i]
    local base = 4 + (i - 1) * 3
    local limit, w, cost = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
    local s = windows[key]
    if s == nil then
      local raw = read(key, { 'w', 'p', 'c' })
      s = current_window(raw, now, w)
      s.len = w
      windows[key] = s
    end
    local elapsed = math.max(0, now - s.w)
    local admitted = cost <= limit and fits(s, elapsed, w, limit, cost)
    if admitted and consume then s.c = s.c + cost end
    if not admitted then allowed = false end
    local remaining = remaining_units(s, elapsed, w, limit)
    local reset = 0
    if remaining < limit then reset = until_fits(s, elapsed, w, limit, remaining + 1) end
    local retry = 0
    if not admitted then retry = until_fits(s, elapsed, w, limit, cost) end
    out[#out + 1] = admitted and 1 or 0
    out[#out + 1] = remaining
    out[#out + 1] = reset
    out[#out + 1] = retry
  end
  for i = 1, quota_count do
    local key = KEYS[rate_count + i]
    local base = quota_base + (i - 1) * 4
    local limit, start, finish, cost = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
    local s = quotas[key]
    if s == nil then
      local raw = read(key, { 's', 'u' })
      local ss, su = tonumber(raw[1]), tonumber(raw[2])
      if ss and ss >= start then s = { s = ss, u = su } else s = { s = start, u = 0 } end
      s.start = start
      s.finish = finish
      quotas[key] = s
    end
    local admitted = s.u + cost <= limit
    if admitted and consume then s.u = s.u + cost end
    if not admitted then allowed = false end
    local refill = -1
    if finish >= 0 then refill = finish - now end
    local retry = 0
    if not admitted then
      if cost > limit then retry = -1 else retry = refill end
    end
    out[#out + 1] = admitted and 1 or 0
    out[#out + 1] = s.u
    out[#out + 1] = math.max(0, limit - s.u)
    out[#out + 1] = refill
    out[#out + 1] = retry
  end
  return allowed, windows, quotas
end

local charged = {}
local allowed, windows, quotas = walk(true, charged)
local reply = { allowed and 1 or 0 }
for i = 1, #charged do reply[#reply + 1] = charged[i] end
if allowed and commit then
  -- TTLs count from the caller's clock, so keys expire when their state stops mattering even if that clock
  -- and Redis' disagree; the grace absorbs skew between nodes. The state never depends on Redis' own time.
  for key, s in pairs(windows) do
    redis.call('HSET', key, 'w', s.w, 'p', s.p, 'c', s.c)
    redis.call('PEXPIRE', key, math.max(1, s.w + 2 * s.len - now) + grace)
  end
  for key, s in pairs(quotas) do
    redis.call('HSET', key, 's', s.s, 'u', s.u)
    -- A counter of a later period (a node whose clock runs ahead) keeps the TTL that node gave it.
    if s.finish >= 0 and s.s == s.start then redis.call('PEXPIRE', key, math.max(1, s.finish - now) + grace) end
  end
  return reply
end
walk(false, reply)
return reply
`;

// Adds units a node admitted on its own during an outage (CountedUnits) to the shared counters, judging
// nothing; memory.ts' add() mirrors it. A rate's units go into the current or previous window (as seen at
// `now`), older ones are dropped; a quota's go into their period unless a later one has begun there.
// KEYS: counters. ARGV: now, TTL grace (ms), then per key: kind ('r'|'q'), then for a rate windowMs and
// windowStart, for a quota periodStart and periodEnd (-1 for none), then units.
export const ADD_SCRIPT = `${CURRENT_WINDOW}
local now = tonumber(ARGV[1])
local grace = tonumber(ARGV[2])
for i = 1, #KEYS do
  local key = KEYS[i]
  local base = 2 + (i - 1) * 4
  local kind, a, b, units = ARGV[base + 1], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
  if kind == 'r' then
    local w, at = a, b
    local raw = redis.call('HMGET', key, 'w', 'p', 'c')
    local s = current_window(raw, now, w)
    local changed = true
    if at == s.w then s.c = s.c + units elseif at == s.w - w then s.p = s.p + units else changed = false end
    if changed then
      redis.call('HSET', key, 'w', s.w, 'p', s.p, 'c', s.c)
      redis.call('PEXPIRE', key, math.max(1, s.w + 2 * w - now) + grace)
    end
  else
    local start, finish = a, b
    if finish < 0 or finish > now then
      local raw = redis.call('HMGET', key, 's', 'u')
      local ss, su = tonumber(raw[1]), tonumber(raw[2])
      if not ss or ss <= start then
        local used = units
        if ss == start then used = su + units end
        redis.call('HSET', key, 's', start, 'u', used)
        if finish >= 0 then redis.call('PEXPIRE', key, math.max(1, finish - now) + grace) end
      end
    end
  end
end
return #KEYS
`;
