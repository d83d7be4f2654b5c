/**
 * The Lua scripts of the Redis resume log (docs/resume.md, "Redis layout"). Each touches only the
 * keys of one stream's log, which share the `{<id>}` hash tag: one Redis Cluster slot, one node.
 * Offsets go through `string.format('%d')`, never Lua's own number-to-string (which writes 1e+15).
 */

// The time on the Redis server, in ms: every instance's readers and writers compare on one clock.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS[1] log, KEYS[2] meta, KEYS[3] readers; ARGV: secretHash, contentType, aiSdk, framing, ttlMs.
// A new stream's log: whatever an earlier stream with this id left is dropped first.
export const LOG_CREATE_SCRIPT = `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[2], 'secretHash', ARGV[1], 'contentType', ARGV[2], 'aiSdk', ARGV[3], 'framing', ARGV[4], 'total', '0', 'first', '0')
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1`;

// KEYS[1] log, KEYS[2] meta, KEYS[3] readers; ARGV: ttlMs, first (the writer's trim point: entries
// ending at or before it go), end reason or '', secretHash, contentType, aiSdk, framing, then one
// triple per entry: start, end, data. Appends in order and trims in the same step, so `first` and
// the entries kept never disagree. An entry that does not start where the log ends (an earlier
// write failed, or Redis lost the log and the meta is re-created) drops everything before it: a
// reader from before sees a gap (`first` past its position), never a silent one.
export const LOG_APPEND_SCRIPT = `
local m = redis.call('HMGET', KEYS[2], 'total', 'first', 'ended')
if m[3] then return 0 end
if not m[1] then
  if #ARGV < 8 then return 0 end
  redis.call('HSET', KEYS[2], 'secretHash', ARGV[4], 'contentType', ARGV[5], 'aiSdk', ARGV[6], 'framing', ARGV[7])
end
local total = tonumber(m[1]) or -1
local floor = math.max(tonumber(ARGV[2]), tonumber(m[2]) or 0)
for i = 8, #ARGV, 3 do
  local s = tonumber(ARGV[i])
  if s ~= total then
    redis.call('DEL', KEYS[1])
    if s > floor then floor = s end
  end
  redis.call('XADD', KEYS[1], ARGV[i + 1] .. '-0', 's', ARGV[i], 'd', ARGV[i + 2])
  total = tonumber(ARGV[i + 1])
end
if total < 0 then total = 0 end
if floor > 0 then redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-0', floor + 1)) end
redis.call('HSET', KEYS[2], 'total', string.format('%d', total), 'first', string.format('%d', floor))
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'ended', ARGV[3]) end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 1`;

// KEYS[1] log, KEYS[2] meta, KEYS[3] readers; ARGV: from (the first entry id wanted), count,
// readerId, leaseMs. The meta and the next entries in one atomic look (so a trim between them
// cannot hide a gap), and the reader's lease renewed. Nil when the log is gone.
export const LOG_READ_SCRIPT = `
local m = redis.call('HMGET', KEYS[2], 'total', 'first', 'ended')
if not m[1] then return false end
${NOW}
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -17)
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
return {m[1], m[2], m[3] or '', redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])}`;

// KEYS[1] readers; ARGV: readerId, leaseMs or '0' (the reader stopped: its record becomes the time
// of its last read). Renews a reader's lease between reads (a client that reads slowly is still
// a reader).
export const LOG_BEAT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1`;

// KEYS[1] readers; ARGV[1] ms. 1 when a reader holds a lease now or read within the last ms.
export const LOG_READ_SINCE_SCRIPT = `
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if not top[2] then return 0 end
${NOW}
if tonumber(top[2]) >= now - tonumber(ARGV[1]) then return 1 end
return 0`;
