import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import { TransportError } from './errors.ts';
import { connect, type Conn, type Connector } from './redis-connect.ts';
import { PUBLISH_SCRIPT, compareStreamIds, keySlot, streamKey } from './redis-keys.ts';
import type { PresenceStore } from './presence-types.ts';
import { RedisPresence } from './redis-presence.ts';
import { StreamReader, entriesOf, type ReadEntry } from './redis-reader.ts';
import { FamilyNames } from './redis-names.ts';
import type { Transport, TransportHost, TransportMessage, TransportState, TransportStatus } from './types.ts';

import { DEFAULT_REDIS_TRANSPORT, positive, type RedisTransportOptions } from './redis-options.ts';

export type { RedisClientLike } from './redis-connect.ts';
export { DEFAULT_REDIS_TRANSPORT, type RedisTransportOptions } from './redis-options.ts';

/**
 * `notify` on a Redis transport returns a promise: resolved once Redis has the event.
 * @example
 * ```ts
 * const transport = redisTransport({ cluster: { rootNodes: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'] } });
 * const system = createSystem({ topics: ['news'], transport });
 * await system.ready();
 * await system.notify({ id: 1, topic: 'news', data: { data: 'hello' } }).catch((error) => {
 *   if (error instanceof TransportError) console.error('not published', error.message);
 * });
 * ```
 */
export type RedisTransport = Transport<Promise<void>> & { readonly kind: 'redis'; presence(): PresenceStore };

// After the timeout, wait this long for Redis's own answer: a script that ran just before the
// deadline has added the event, and must not be reported as refused.
const ANSWER_GRACE_MS = 250;
const SCRIPT_SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');


/**
 * A transport on Redis Streams: every node of a system on the same Redis (or Cluster) and prefix
 * delivers every event of every topic once, in the stream's order. See docs/scale-out.md.
 * @example
 * ```ts
 * const system = createSystem({ topics: ['orders'], transport: redisTransport({ url: 'redis://redis:6379' }) });
 * await system.ready(); // connected, replay history restored
 * await system.notify({ id: 1, topic: 'orders', data: { data: 'created' } }); // resolves once Redis has it
 * ```
 */
export function redisTransport(options: RedisTransportOptions = {}): RedisTransport {
  const given = [options.url, options.client, options.cluster].filter((x) => x !== undefined).length;
  if (given > 1) throw new TypeError('redisTransport(): give one of url, client and cluster');
  const d = DEFAULT_REDIS_TRANSPORT;
  const prefix = options.prefix ?? d.prefix;
  const concurrency = positive('publish.concurrency', options.publish?.concurrency ?? d.publish.concurrency);
  const maxQueued = positive('publish.maxQueued', options.publish?.maxQueued ?? d.publish.maxQueued, 0);
  const timeoutMs = positive('publish.timeoutMs', options.publish?.timeoutMs ?? d.publish.timeoutMs);
  const reconnect = { minMs: positive('reconnect.minMs', options.reconnect?.minMs ?? d.reconnect.minMs), maxMs: positive('reconnect.maxMs', options.reconnect?.maxMs ?? d.reconnect.maxMs) };
  const blockMs = positive('blockMs', options.blockMs ?? d.blockMs);
  const readCount = positive('readCount', options.readCount ?? d.readCount);

  let host: TransportHost | undefined;
  let connector: Connector | undefined;
  /** Settles once `start` has connected (the presence store may be started before the transport is). */
  let markConnected = (): void => undefined;
  let markStopped = (_error: Error): void => undefined;
  const connected = new Promise<void>((resolve, reject) => ((markConnected = resolve), (markStopped = reject)));
  connected.catch(() => undefined);
  let state: TransportState = 'starting';
  let lastError: string | undefined;
  let lagMs = 0;
  let lastReadAt = Date.now();
  let maxLen = 0;
  /** One reader per group of topics read together (one group; on a Cluster, one per slot), made on first need. */
  const readers = new Map<number, Promise<StreamReader>>();
  const made: StreamReader[] = [];
  const failing = new Set<StreamReader>();
  const lastIds = new Map<string, string>();
  const queue = new PQueue({ concurrency });
  const inFlight = new Set<(error: TransportError) => void>();
  let names: FamilyNames | undefined;
  /** Streams read for the transport itself (presence control), not delivered to the system. */
  const controls = new Map<string, (message: TransportMessage) => void>();
  let presence: RedisPresence | undefined;

  const setState = (next: TransportState, error?: unknown): void => {
    if (error !== undefined) lastError = error instanceof Error ? error.message : String(error);
    if (next === state || state === 'stopped') return;
    state = next;
    if (next === 'connected') lastError = undefined;
    host?.stateChanged(next, error);
  };

  const deliver = (batch: readonly ReadEntry[]): void => {
    const newest = batch[batch.length - 1];
    lagMs = newest ? Math.max(0, Date.now() - newest.message.publishedAt) : 0;
    for (const { message } of names ? names.route(batch) : batch) {
      const control = controls.get(message.topic);
      if (control) control(message);
      else host?.deliver(message);
    }
  };

  async function runScript(conn: Conn, message: TransportMessage, deadline: number): Promise<void> {
    const key = streamKey(prefix, message.topic);
    const args = ['1', key, message.id, message.text, String(message.publishedAt), String(deadline), String(maxLen), String(host?.history.ttlMs ?? 0)];
    let reply: unknown;
    try {
      reply = await conn.send(key, ['EVALSHA', SCRIPT_SHA, ...args]);
    } catch (error) {
      // Redis forgets scripts when it restarts: send the body once, it is cached again.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      reply = await conn.send(key, ['EVAL', PUBLISH_SCRIPT, ...args]);
    }
    // The script created the stream: the name is announced to its family (a second command, only now).
    if (names && Array.isArray(reply) && reply[1] === 1) {
      const failed = await names.announce(conn, message);
      if (failed !== undefined) setState(state, failed); // the event is in Redis; lastError says the name was not announced
    }
  }

  /** The last `size` events of each topic, in stream order across topics, and where reading starts. */
  async function restore(conn: Conn, started: TransportHost): Promise<void> {
    const { size, ttlMs } = started.history;
    const restored: ReadEntry[] = [];
    for (const topic of started.topics) {
      const key = streamKey(prefix, topic);
      const entries = entriesOf(prefix, key, await conn.send(key, ['XREVRANGE', key, '+', '-', 'COUNT', String(Math.max(size, 1))]));
      lastIds.set(topic, entries[0]?.sid ?? '0-0');
      if (size > 0) restored.push(...entries);
    }
    restored.sort((a, b) => compareStreamIds(a.sid, b.sid));
    const oldest = ttlMs === 0 ? 0 : Date.now() - ttlMs;
    for (const entry of restored) if (entry.message.publishedAt >= oldest) started.restore(entry.message);
  }

  /** The group a topic is read in: on a Cluster one XREAD may only name keys of one slot. */
  const groupOf = (topic: string): number => (options.cluster ? keySlot(streamKey(prefix, topic)) : 0);

  /** The reader of `topic`'s group, made (with its own connection) the first time. */
  function readerFor(opened: Connector, topic: string, topics: readonly string[]): Promise<StreamReader> {
    const group = groupOf(topic);
    let reader = readers.get(group);
    if (reader) return reader;
    reader = opened.reader().then((conn) => {
      const created = new StreamReader({
        conn, prefix, topics, lastIds, blockMs, count: readCount, reconnect, deliver,
        routeKey: streamKey(prefix, topic),
        unblock: (key, id) => opened.commands.send(key, ['CLIENT', 'UNBLOCK', id]),
        report: (error) => report(created, error),
      });
      made.push(created);
      if (isStopped()) created.stop();
      return created;
    });
    readers.set(group, reader);
    return reader;
  }

  function report(reader: StreamReader, error: unknown): void {
    if (error === undefined) failing.delete(reader);
    else failing.add(reader);
    if (failing.size > 0) setState('reconnecting', error);
    else setState('connected');
    if (error !== undefined) return;
    lastReadAt = Date.now();
    lagMs = 0; // caught up, unless the batch this read returned says otherwise (deliver)
  }

  // A function, as `state` changes while start() awaits (stop() may run in between).
  const isStopped = (): boolean => state === 'stopped';

  const notReady = (): TransportError => new TransportError('redis', state === 'stopped' ? 'the transport is stopped' : 'the transport has not connected yet: await system.ready()');
  /** Drops a topic's (or a family's names) stream from its reader's next read. */
  function unread(topic: string): void {
    lastIds.delete(topic);
    void readers.get(groupOf(topic))?.then((r) => r.remove(topic));
  }

  const rejectAll = (error: TransportError): void => {
    for (const reject of [...inFlight]) reject(error);
  };

  return {
    kind: 'redis',
    async start(next) {
      if (host) throw new Error('redisTransport(): this transport already serves a system; create one per createSystem()');
      host = next;
      names = new FamilyNames(prefix, next.families ?? []);
      maxLen = positive('streamMaxLen', options.streamMaxLen ?? Math.max(next.history.size, 1000));
      const opened = await connect({ url: options.url, client: options.client, cluster: options.cluster, reconnect, onError: (error) => setState(state === 'starting' ? 'starting' : state, error) });
      connector = opened;
      if (isStopped()) return opened.close();
      await restore(opened.commands, next);
      const byGroup = new Map<number, string[]>();
      for (const topic of next.topics) byGroup.set(groupOf(topic), [...(byGroup.get(groupOf(topic)) ?? []), topic]);
      for (const topics of byGroup.values()) {
        await readerFor(opened, topics[0] as string, topics);
        if (isStopped()) return opened.close();
      }
      setState('connected');
      markConnected(); // after the readers of the fixed topics exist: the control stream may share one (same slot)
    },
    publish(message) {
      const conn = connector?.commands;
      if (state === 'stopped' || !conn) return Promise.reject(new TransportError('redis', state === 'stopped' ? 'the transport is stopped' : 'the transport has not connected yet: await system.ready()'));
      if (queue.size >= maxQueued) return Promise.reject(new TransportError('redis', `the publish queue is full (${maxQueued} waiting behind ${concurrency} in flight): Redis is slower than notify; raise publish.maxQueued or slow down`));
      const deadline = Date.now() + timeoutMs;
      const controller = new AbortController();
      return new Promise<void>((resolve, reject) => {
        const settle = (error?: TransportError): void => {
          if (!inFlight.delete(fail)) return;
          clearTimeout(timer);
          if (error) {
            controller.abort();
            reject(error);
          } else resolve();
        };
        const fail = (error: TransportError): void => settle(error);
        // Timers run before I/O in a loop turn: after a long synchronous stretch (a big fan-out) the
        // timer would fire before Redis's answer, already in the socket, is read. setImmediate
        // runs after that I/O phase, so an answer that arrived in time wins.
        const timer = setTimeout(() => setImmediate(() => settle(new TransportError('redis', `Redis did not take the event within publish.timeoutMs (${timeoutMs} ms); it was not added`))), timeoutMs + ANSWER_GRACE_MS);
        inFlight.add(fail);
        queue
          .add(() => runScript(conn, message, deadline), { signal: controller.signal })
          .then(() => settle(), (error: unknown) => {
            const refused = error instanceof Error && error.message.startsWith('DEADLINE');
            settle(new TransportError('redis', refused ? `Redis did not take the event within publish.timeoutMs (${timeoutMs} ms); it was not added` : `could not publish to Redis: ${error instanceof Error ? error.message : String(error)}`, error));
          });
      });
    },
    status(): TransportStatus {
      const behind = state === 'reconnecting' ? Date.now() - lastReadAt : lagMs;
      const pending = inFlight.size;
      return lastError === undefined || state === 'connected' ? { kind: 'redis', state, lagMs: behind, pending } : { kind: 'redis', state, lagMs: behind, pending, lastError };
    },
    async follow(topic) {
      const opened = connector;
      if (state === 'stopped' || !opened || !host) throw notReady();
      const { size, ttlMs } = host.history;
      const key = streamKey(prefix, topic);
      let entries: ReadEntry[];
      try {
        entries = entriesOf(prefix, key, await opened.commands.send(key, ['XREVRANGE', key, '+', '-', 'COUNT', String(Math.max(size, 1))]));
      } catch (error) {
        throw new TransportError('redis', `could not read the history of "${topic}": ${error instanceof Error ? error.message : String(error)}`, error);
      }
      // Reading starts right after the newest entry fetched: nothing between, nothing twice.
      lastIds.set(topic, entries[0]?.sid ?? '0-0');
      (await readerFor(opened, topic, [])).add(topic);
      const oldest = ttlMs === 0 ? 0 : Date.now() - ttlMs;
      return size === 0 ? [] : entries.reverse().filter((entry) => entry.message.publishedAt >= oldest).map((entry) => entry.message);
    },
    unfollow: unread,
    async watch(family, announced) {
      const opened = connector;
      if (state === 'stopped' || !opened || !names) throw notReady();
      // One more key in the slot's blocking read, from the newest name there now.
      const from = await names.watch(opened.commands, family, announced);
      if (from === undefined) return; // unwatched meanwhile
      lastIds.set(family, from);
      const reader = await readerFor(opened, family, []);
      if (names.watched(family)) reader.add(family);
    },
    unwatch(family) {
      if (names?.unwatch(family)) unread(family);
    },
    presence() {
      presence ??= new RedisPresence({
        prefix,
        cluster: options.cluster !== undefined,
        connected: () => connected,
        send: (key, args) => (connector && state !== 'stopped' ? connector.commands.send(key, args) : Promise.reject(new TransportError('redis', 'the transport is not connected'))),
        watch: async (topic, handler) => {
          if (!connector) throw new TransportError('redis', 'the transport has not connected yet: start it first');
          const key = streamKey(prefix, topic);
          lastIds.set(topic, entriesOf(prefix, key, await connector.commands.send(key, ['XREVRANGE', key, '+', '-', 'COUNT', '1']))[0]?.sid ?? '0-0');
          controls.set(topic, handler);
          (await readerFor(connector, topic, [])).add(topic);
        },
      });
      return presence;
    },
    async stop() {
      if (state === 'stopped') return;
      markStopped(new TransportError('redis', 'the transport was stopped before it connected'));
      await presence?.stop(); // takes this node's presence entries out while Redis is still reachable
      state = 'stopped';
      for (const reader of made) reader.stop();
      queue.clear();
      rejectAll(new TransportError('redis', 'the transport was stopped before Redis took the event'));
      connector?.close();
      await Promise.all(made.map((reader) => reader.done));
    },
  };
}
