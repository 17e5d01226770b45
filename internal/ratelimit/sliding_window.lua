-- Sliding-window log: one sorted set per key, scored by request time in
-- microseconds of Redis's own clock.
--   KEYS[1]  the key's log
--   ARGV[1]  limit, ARGV[2] window in microseconds, ARGV[3] a unique member
-- Returns {allowed (1|0), remaining, microseconds until the oldest logged
-- request leaves the window}. A denied request is not logged.

-- Needed before writing after TIME on Redis < 5; a no-op since.
if redis.replicate_commands then redis.replicate_commands() end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])

-- The window is (now - window, now]: a request exactly one window old
-- no longer counts.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])

local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  -- The log is useless once its newest entry is a window old.
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  count = count + 1
  allowed = 1
end

local wait = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then
  wait = tonumber(oldest[2]) + window - now
end
return {allowed, limit - count, wait}
