/**
 * The Lua scripts of the Redis stream registry. Each runs atomically on one node: the keys it
 * touches share the `{<id>}` hash tag (one Redis Cluster slot), except RESERVE_SCRIPT, whose
 * sorted set has a slot of its own.
 */

// The end of REGISTER and REASSERT, one rule for both: a tombstone left by a cancel makes the key a
// finished marker (answer `cancelled`), else the key is a live stream of this owner (answer `live`).
// Same KEYS and ARGV as the two scripts.
const claimKey = (cancelled: string, live: string) => `if redis.call('DEL', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[1], 'secretHash', ARGV[1], 'state', 'finished', 'owner', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return '${cancelled}'
end
redis.call('HSET', KEYS[1], 'secretHash', ARGV[1], 'state', 'streaming', 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return '${live}'`;

// KEYS[1] stream key, KEYS[2] tombstone key; ARGV: secretHash, owner, streamTtlMs, finishedTtlMs.
// Atomic, so two instances cannot both take an id and a tombstone cannot be missed.
export const REGISTER_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'conflict' end
${claimKey('cancelled', 'ok')}`;

// KEYS[1] stream key; ARGV: secretHash, owner. Undoes a registration answered 503 (its command
// timed out, then ran): only a live key of this instance with this secret (never a finished marker,
// never another instance's or secret's key).
export const UNREGISTER_SCRIPT = `
local h = redis.call('HMGET', KEYS[1], 'secretHash', 'owner', 'state')
if h[1] == ARGV[1] and h[2] == ARGV[2] and h[3] == 'streaming' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

// KEYS[1] stream key, KEYS[2] tombstone key; ARGV: secretHash, owner, streamTtlMs, finishedTtlMs.
// The owner's heartbeat and reconnection: re-creates the key of a live stream that Redis lost (a
// restart without persistence), or cancels it if a cancel left a tombstone meanwhile. Never
// touches a key another instance (or another secret) holds.
export const REASSERT_SCRIPT = `
local h = redis.call('HMGET', KEYS[1], 'secretHash', 'owner', 'state')
if h[1] then
  if h[1] ~= ARGV[1] or h[2] ~= ARGV[2] then return 'taken' end
  if h[3] ~= 'streaming' then return 'finished' end
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 'alive'
end
${claimKey('tombstone', 'restored')}`;

// KEYS[1] the reservations sorted set (member `<id>:<secretHash>`, score = expiry in ms, Redis
// clock); ARGV: member, ttlMs, maxTombstones. Drops expired reservations, then reserves room for
// one tombstone if there is some (a member already there is only extended). Returns the
// reservation's expiry (ms since the epoch), which the tombstone takes too, or 0 (full).
export const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
local expires = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return expires`;

// KEYS[1] stream key, KEYS[2] tombstone key; ARGV: nonce, the reservation's expiry (ms since the
// epoch: the tombstone never outlives its reservation, so the count never falls below the
// tombstones; one that comes too late is gone at once). Leaves the tombstone unless the stream
// registered since the look-up (then answers as the look-up would). The
// tombstone is a set of the nonces of the cancels that left it (at most 4 kept: a cancel answered
// 503 removes only its own nonce, so it never removes a tombstone another cancel was promised).
export const TOMB_SCRIPT = `
local h = redis.call('HMGET', KEYS[1], 'secretHash', 'state', 'owner')
if h[1] then return {'found', h[1], h[2] or '', h[3] or ''} end
-- A tombstone of the previous version ("1", a string) becomes a set: still a tombstone.
if redis.call('TYPE', KEYS[2]).ok == 'string' then redis.call('DEL', KEYS[2]) end
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('SCARD', KEYS[2]) > 4 then redis.call('SPOP', KEYS[2]) end
redis.call('PEXPIREAT', KEYS[2], ARGV[2])
return {'tombstoned'}`;

// KEYS[1] tombstone key; ARGV[1] nonce. Undoes the tombstone of a cancel answered 503.
export const UNTOMB_SCRIPT = `
if redis.call('TYPE', KEYS[1]).ok == 'set' then redis.call('SREM', KEYS[1], ARGV[1]) end
return redis.call('EXISTS', KEYS[1])`;

// KEYS[1] stream key; ARGV: finishedTtlMs, usage JSON or '', stopped report JSON or '', owner,
// secretHash. Never recreates an expired key, never writes a key another instance holds.
export const FINISH_SCRIPT = `
local h = redis.call('HMGET', KEYS[1], 'owner', 'secretHash')
if h[1] ~= ARGV[4] or h[2] ~= ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'finished')
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'usage', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'stopped', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

// KEYS[1] stream key. Takes the report of a stream stopped without a cancel (see
// StreamRegistration.finish), atomically, so only the first late cancel gets it.
export const TAKE_STOPPED_SCRIPT = `
local stopped = redis.call('HGET', KEYS[1], 'stopped')
if stopped then redis.call('HDEL', KEYS[1], 'stopped') end
return stopped`;
