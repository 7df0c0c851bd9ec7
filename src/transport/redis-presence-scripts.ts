/**
 * Keys and Lua scripts of presence on Redis. Pure: no connection.
 *
 * Per topic T (all hash-tagged `{T}`, the tag of T's event stream, so one slot per topic):
 *   `<prefix>p:{T}:t`         HASH user → streams on T across all nodes (the global totals)
 *   `<prefix>p:{T}:i`         HASH user → latest info (JSON), while the user is here
 *   `<prefix>p:{T}:n:<inc>`   HASH user → streams on T of one node incarnation
 * Per system (tag `{~presence}`, one slot):
 *   `<prefix>p:{~presence}:live`        ZSET incarnation → deadline (Redis ms clock)
 *   `<prefix>p:{~presence}:topics:<inc>` SET of the topics an incarnation has entries on (for reaping)
 *   `<prefix>{~presence}`               STREAM of control messages (disconnect requests and replies)
 * An incarnation is `<node>#<random>`: a node that restarts with the same id is a new incarnation,
 * and reaps its old one when it starts.
 */
import { createHash } from 'node:crypto';
import { keySlot } from './redis-keys.ts';

/**
 * The reserved topic name of the control stream (read by the transport's stream readers).
 * @example
 * ```ts
 * streamKey('app:', CONTROL_TOPIC); // 'app:{~presence}'
 * ```
 */
export const CONTROL_TOPIC = '~presence';

/**
 * An incarnation's entries, the totals and the info of a topic: the KEYS of APPLY/REAP for it.
 * @example
 * ```ts
 * topicKeys('app:', 'room.a', 'n1#1a2b3c4d'); // ['app:p:{room.a}:n:n1#1a2b3c4d', 'app:p:{room.a}:t', 'app:p:{room.a}:i']
 * ```
 */
export const topicKeys = (prefix: string, topic: string, inc: string): [string, string, string] => [`${prefix}p:{${topic}}:n:${inc}`, totalsKey(prefix, topic), infoKey(prefix, topic)];
/**
 * A topic's global totals: user → streams.
 * @example
 * ```ts
 * totalsKey('app:', 'room.a'); // 'app:p:{room.a}:t'
 * ```
 */
export const totalsKey = (prefix: string, topic: string): string => `${prefix}p:{${topic}}:t`;
/**
 * A topic's user info: user → latest info (JSON).
 * @example
 * ```ts
 * infoKey('app:', 'room.a'); // 'app:p:{room.a}:i'
 * ```
 */
export const infoKey = (prefix: string, topic: string): string => `${prefix}p:{${topic}}:i`;
/**
 * The liveness ZSET: incarnation → deadline.
 * @example
 * ```ts
 * liveKey('app:'); // 'app:p:{~presence}:live'
 * ```
 */
export const liveKey = (prefix: string): string => `${prefix}p:{${CONTROL_TOPIC}}:live`;
/**
 * The SET of topics an incarnation has entries on.
 * @example
 * ```ts
 * topicsKey('app:', 'n1#1a2b3c4d'); // 'app:p:{~presence}:topics:n1#1a2b3c4d'
 * ```
 */
export const topicsKey = (prefix: string, inc: string): string => `${prefix}p:{${CONTROL_TOPIC}}:topics:${inc}`;

/**
 * Groups items by their topic's Cluster slot (one group on a single Redis), keeping first-seen order.
 * @example
 * ```ts
 * bySlot(deltas, (d) => d.topic, true); // one array per slot: one EVALSHA each
 * ```
 */
export function bySlot<T>(items: readonly T[], topicOf: (item: T) => string, cluster: boolean): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const slot = cluster ? keySlot(`{${topicOf(item)}}`) : 0;
    const group = groups.get(slot);
    if (group) group.push(item);
    else groups.set(slot, [item]);
  }
  return [...groups.values()];
}

/**
 * One node's batch on the topics of one slot. KEYS: per topic [node, totals, info]. ARGV: n, then per
 * delta: topic index (1-based), user id, delta, info JSON ('' for none). A delta below the node's own
 * count is clamped to it (a node never removes another's streams). Returns a flat list of the global
 * transitions: 'j' | 'l', topic index, user id, info JSON ('' for none).
 * @example
 * ```ts
 * await evalScript(conn, APPLY_SCRIPT, keys, args);
 * ```
 */
export const APPLY_SCRIPT = `
local out = {}
local n = tonumber(ARGV[1])
for d = 0, n - 1 do
  local t = tonumber(ARGV[2 + d * 4])
  local id = ARGV[3 + d * 4]
  local delta = tonumber(ARGV[4 + d * 4])
  local info = ARGV[5 + d * 4]
  local nk, tk, ik = KEYS[t * 3 - 2], KEYS[t * 3 - 1], KEYS[t * 3]
  local own = tonumber(redis.call('HGET', nk, id) or '0')
  if own + delta < 0 then delta = -own end
  if delta ~= 0 then
    if own + delta == 0 then redis.call('HDEL', nk, id) else redis.call('HSET', nk, id, own + delta) end
    local total = redis.call('HINCRBY', tk, id, delta)
    if info ~= '' and total > 0 then redis.call('HSET', ik, id, info) end
    if total > 0 and total - delta <= 0 then
      out[#out + 1] = 'j'; out[#out + 1] = t; out[#out + 1] = id; out[#out + 1] = redis.call('HGET', ik, id) or ''
    elseif total <= 0 then
      out[#out + 1] = 'l'; out[#out + 1] = t; out[#out + 1] = id; out[#out + 1] = redis.call('HGET', ik, id) or ''
      redis.call('HDEL', tk, id)
      redis.call('HDEL', ik, id)
    end
  end
end
return out
`;

/**
 * Removes a dead incarnation's entries on the topics of one slot. KEYS: per topic [node, totals,
 * info]. Returns the leaves, as APPLY_SCRIPT does. Idempotent: a second reaper finds nothing left.
 * @example
 * ```ts
 * await evalScript(conn, REAP_SCRIPT, keys, args);
 * ```
 */
export const REAP_SCRIPT = `
local out = {}
for t = 1, #KEYS / 3 do
  local nk, tk, ik = KEYS[t * 3 - 2], KEYS[t * 3 - 1], KEYS[t * 3]
  local own = redis.call('HGETALL', nk)
  for f = 1, #own, 2 do
    local id = own[f]
    local total = redis.call('HINCRBY', tk, id, -tonumber(own[f + 1]))
    if total <= 0 then
      out[#out + 1] = 'l'; out[#out + 1] = t; out[#out + 1] = id; out[#out + 1] = redis.call('HGET', ik, id) or ''
      redis.call('HDEL', tk, id)
      redis.call('HDEL', ik, id)
    end
  end
  redis.call('DEL', nk)
end
return out
`;

/**
 * Heartbeat. KEYS[1] live ZSET. ARGV: incarnation, ttlMs. Sets its deadline to Redis now + ttl and
 * returns [1 if it was still there (0: it had been reaped), then every other incarnation whose
 * deadline passed].
 * @example
 * ```ts
 * await evalScript(conn, BEAT_SCRIPT, keys, args);
 * ```
 */
export const BEAT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local out = { 1 - added }
for _, inc in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)) do
  if inc ~= ARGV[1] then out[#out + 1] = inc end
end
return out
`;

/**
 * Forgets a reaped incarnation (after its entries are gone). KEYS: live ZSET, its topics SET. ARGV: incarnation.
 * @example
 * ```ts
 * await evalScript(conn, FORGET_SCRIPT, keys, args);
 * ```
 */
export const FORGET_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('DEL', KEYS[2])
`;

/**
 * A disconnect request. KEYS: control stream, live ZSET. ARGV: request fields (i, t). Appends the
 * request and returns the incarnations alive now (deadline not passed), in one step.
 * @example
 * ```ts
 * await evalScript(conn, REQUEST_SCRIPT, keys, args);
 * ```
 */
export const REQUEST_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', '1000', '*', 'i', ARGV[1], 't', ARGV[2], 'p', tostring(now))
return redis.call('ZRANGEBYSCORE', KEYS[2], now, '+inf')
`;

/**
 * The transitions of an APPLY/REAP reply, with their topics (info still JSON text).
 * @example
 * ```ts
 * changesOf(['j', 1, 'u1', ''], ['room.a']); // [{ type: 'join', topic: 'room.a', id: 'u1' }]
 * ```
 */
export function changesOf(reply: unknown, topics: readonly string[]): Array<{ type: 'join' | 'leave'; topic: string; id: string; info?: string }> {
  const flat = Array.isArray(reply) ? (reply as unknown[]) : [];
  const out: Array<{ type: 'join' | 'leave'; topic: string; id: string; info?: string }> = [];
  for (let n = 0; n + 3 < flat.length; n += 4) {
    const topic = topics[Number(flat[n + 1]) - 1] as string;
    const info = String(flat[n + 3]);
    out.push({ type: flat[n] === 'j' ? 'join' : 'leave', topic, id: String(flat[n + 2]), ...(info === '' ? {} : { info }) });
  }
  return out;
}

/**
 * A topic's users at one instant. KEYS: totals, info. Returns [totals HGETALL, info HGETALL].
 * @example
 * ```ts
 * await evalScript(conn, LIST_SCRIPT, [totalsKey(prefix, topic), infoKey(prefix, topic)], []);
 * ```
 */
export const LIST_SCRIPT = `
return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]) }
`;

const shas = new Map<string, string>();
const sha = (body: string): string => shas.get(body) ?? shas.set(body, createHash('sha1').update(body).digest('hex')).get(body) as string;

/**
 * EVALSHA of `body` (routed by its first key), falling back to EVAL once when Redis does not have
 * the script (a restart forgets them).
 * @example
 * ```ts
 * const alive = await evalScript(conn, BEAT_SCRIPT, [liveKey(prefix)], [incarnation, '1500']);
 * ```
 */
export async function evalScript(conn: { send(key: string, args: string[]): Promise<unknown> }, body: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  const route = keys[0] as string;
  const rest = [String(keys.length), ...keys, ...args];
  try {
    return await conn.send(route, ['EVALSHA', sha(body), ...rest]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return conn.send(route, ['EVAL', body, ...rest]);
  }
}
