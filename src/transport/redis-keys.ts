/**
 * Stream keys, cluster slots and the publish script of the Redis transport. Pure: no connection.
 */

/**
 * The stream key of a topic: the topic is the key's hash tag, so everything of one topic lives on
 * one Cluster shard (one order) while different topics spread over the shards.
 */
export function streamKey(prefix: string, topic: string): string {
  return `${prefix}{${topic}}`;
}

/**
 * The names stream of a topic family (`room.*`): the family pattern is its hash tag, so it is a key
 * of its own (a topic's name never has a `*`), on its own slot. Each entry announces a name whose
 * stream was new (fields `i` the creating event's id, `t` the topic, `p` publishedAt), for nodes with
 * a pattern subscriber over the family to follow it. Trimmed to about `NAMES_MAXLEN` entries.
 */
export function namesKey(prefix: string, family: string): string {
  return streamKey(prefix, family);
}

/** Entries a family's names stream keeps (approximately): a node reading it may fall this far behind. */
export const NAMES_MAXLEN = 1000;

/** The topic of a stream key built by `streamKey`, or undefined for another key. */
export function topicOfKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(`${prefix}{`) || !key.endsWith('}')) return undefined;
  return key.slice(prefix.length + 1, -1);
}

// CRC16-XMODEM, the checksum Redis Cluster maps keys to its 16384 slots with.
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[n] = crc;
  }
  return table;
})();

/** The Cluster slot of a key (its hash tag's, when it has a non-empty one). */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc % 16384;
}

/**
 * XADD with both bounds in one round trip, refused once the caller's deadline has passed on the
 * Redis clock: a publish that waited out its timeout (Redis paused, a slow network) is never added
 * later behind the publisher's back, so a rejected `notify` means "not delivered".
 * KEYS[1] stream; ARGV id, text, publishedAt, deadline (ms epoch), maxlen, ttlMs. Returns
 * `{ sid, fresh }`: fresh is 1 when this XADD created the stream (the key did not exist): the name
 * is new to Redis, and to every node. One O(1) EXISTS inside the script, no round trip.
 */
export const PUBLISH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[4]) then return redis.error_reply('DEADLINE the publish deadline passed before Redis ran it') end
local fresh = 1 - redis.call('EXISTS', KEYS[1])
local sid = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', 'i', ARGV[1], 't', ARGV[2], 'p', ARGV[3])
local ttl = tonumber(ARGV[6])
if ttl > 0 then redis.call('XTRIM', KEYS[1], 'MINID', '~', tostring(now - ttl)) end
return {sid, fresh}
`;

/** One stream entry as Redis returns it: `[id, [field, value, ...]]`. */
export type RawEntry = [string, string[]];

/** Compares two stream ids (`ms-seq`) numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

/** The fields of an entry written by PUBLISH_SCRIPT, or undefined for a foreign entry. */
export function entryFields(fields: readonly string[]): { id: string; text: string; publishedAt: number } | undefined {
  let id: string | undefined;
  let text: string | undefined;
  let publishedAt = 0;
  for (let n = 0; n + 1 < fields.length; n += 2) {
    const value = fields[n + 1] as string;
    if (fields[n] === 'i') id = value;
    else if (fields[n] === 't') text = value;
    else if (fields[n] === 'p') publishedAt = Number(value);
  }
  return id === undefined || text === undefined ? undefined : { id, text, publishedAt };
}
