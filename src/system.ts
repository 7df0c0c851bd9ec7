import { createActor, type Actor } from 'xstate';
import { encodeValidChunk, encodeComment, validateChunk, validateEvent, wireId, type Chunk, type SseEvent } from './protocol/chunk.ts';
import { resolveTopics } from './protocol/topics.ts';
import { UnknownTopicError, SystemStoppedError, DuplicateEventIdError, TooManyConnectionsError, UnknownActorError } from './errors.ts';
import { resolveOptions, type SystemOptions } from './options.ts';
import { supervisorLogic, START_CHILD, EscalationError, type ChildSpec, type EscalationReport, type SupervisorSnapshot, type SupervisedChild } from './actors/supervisor.ts';
import { KILL, EXIT_NORMAL } from './actors/signals.ts';
import { registryLogic, SUBSCRIBE, UNSUBSCRIBE, type RegistrySnapshot } from './actors/registry.ts';
import { ConnectionHandle, CLOSE, type ConnectionRuntime, type ConnectionCounters } from './actors/connection.ts';
import { Deadlines } from './actors/deadlines.ts';
import { controlFrame, type Frame } from './protocol/frame.ts';
import { historyLogic, historySizes, isKnown, resetFrame, framesAfter, createHistoryStore, APPEND, type HistorySnapshot, type HistoryContext } from './actors/history.ts';
import { KeepAliveWheel } from './actors/wheel.ts';
import { Flusher } from './actors/flusher.ts';
import { ResponseSink, sseHeaders, lastEventIdOf, type SseRequest, type SseResponse } from './adapters/node-http.ts';
import { guardInspect } from './inspect.ts';
import type { SseSystem, SystemSnapshot, ConnectionSnapshot, StopOptions, EventStats, ActorKind } from './api.ts';
import { memoryTransport, type MemoryTransport } from './transport/memory.ts';
import type { NotifyResult, Transport, TransportMessage, TransportState } from './transport/types.ts';
import type { ResetReason } from './actors/history.ts';

export type { SseSystem, SystemSnapshot, ConnectionSnapshot, StopOptions, EventStats, ActorKind } from './api.ts';

/** Ids of the system's long-lived actors (stable across restarts). */
export const REGISTRY_ID = 'registry';
export const HISTORY_ID = 'history';
export const ROOT_ID = 'root';
const partitionId = (n: number): string => `partition-${n}`;

/** The keep-alive comment written after `keepAlive` ms without a write. */
export const KEEP_ALIVE_COMMENT = 'keep-alive';
/** The base of the `retry:` hint written when the server ends a stream, when no `retry` option is set. */
export const DEFAULT_CLOSE_RETRY_MS = 1000;
/** How long `stop()` waits for streams to flush and end before destroying them. @default 5000 */
export const DEFAULT_STOP_TIMEOUT_MS = 5000;

class System implements SseSystem<void | Promise<void>> {
  readonly topics: readonly string[];
  readonly node: string;
  private readonly transport: Transport;
  private readonly started: Promise<void>;
  private readonly stats: EventStats = { notified: 0, delivered: 0, keepAlives: 0, replayed: 0, resets: { 'unknown-id': 0, 'aged-out': 0, 'history-off': 0 }, topics: {} };
  private readonly options;
  private readonly root: Actor<typeof supervisorLogic>;
  private readonly runtime: ConnectionRuntime;
  private readonly registered: Set<string>;
  private readonly retryFrame: Frame | undefined;
  private readonly deadlines: Deadlines;
  private readonly counters: ConnectionCounters & { rejected: number } = { dropped: 0, overflowClosed: 0, lifetimeEnded: 0, rejected: 0 };
  /** Connections started and not yet released (admission control). */
  private live = 0;
  private seq = 0;
  /** Resolved topics by the one name or pattern asked for, and by the JSON of a longer list. */
  private readonly resolvedOne = new Map<string, readonly string[]>();
  private readonly resolvedList = new Map<string, readonly string[]>();
  private state: SystemSnapshot['status'] = 'running';
  private failure: unknown;
  private escalations = 0;
  private readonly escalationsByKind: Record<ActorKind, number> = { registry: 0, history: 0, partition: 0, connection: 0 };
  private stopping: Promise<void> | undefined;
  private lastInitial: { text: string; frame: Frame } | undefined;

  constructor(options: SystemOptions) {
    this.options = resolveOptions(options);
    this.node = this.options.node;
    this.transport = this.options.transport ?? memoryTransport();
    const { clock, keepAlive, topics, partitions, inspect, history, retry, maxLifetimeMs, lifetimeJitterMs, restart, onEscalation } = this.options;
    this.deadlines = new Deadlines(clock);
    this.topics = topics;
    this.registered = new Set(topics);
    const closeRetry = retry ?? DEFAULT_CLOSE_RETRY_MS;
    this.runtime = {
      wheel: new KeepAliveWheel<ConnectionHandle>(clock, keepAlive),
      deadlines: this.deadlines,
      mailbox: this.options.mailbox,
      closeTimeoutMs: this.options.closeTimeoutMs,
      lifetimeMs: () => (maxLifetimeMs === 0 ? 0 : maxLifetimeMs - Math.floor(Math.random() * (lifetimeJitterMs + 1))),
      // Between retry and twice that, so clients ended together do not all come back together.
      closeHint: () => controlFrame(`retry: ${closeRetry + Math.floor(Math.random() * (closeRetry + 1))}\n\n`),
      counters: this.counters,
      released: () => {
        this.live -= 1;
      },
      flusher: new Flusher<ConnectionHandle>(),
      subscribe: (handle) => this.child(REGISTRY_ID).ref.send({ type: SUBSCRIBE, subscriber: handle }),
      unsubscribe: (handle) => {
        const registry = (this.root.getSnapshot() as SupervisorSnapshot).context.children.get(REGISTRY_ID);
        registry?.ref.send({ type: UNSUBSCRIBE, subscriber: handle });
      },
      keepAliveFrame: controlFrame(encodeComment(KEEP_ALIVE_COMMENT)),
      ttlMs: history.ttlMs,
      now: () => clock.now(),
      expiredFrame: (lastEventId) => {
        this.stats.resets['aged-out'] += 1;
        return resetFrame('aged-out', lastEventId);
      },
      stats: this.stats,
      framesAfter: (topics, lastId) => {
        const frames = framesAfter(this.history().ctx, topics, lastId);
        return typeof frames === 'string' ? undefined : frames;
      },
    };
    this.retryFrame = retry === undefined ? undefined : controlFrame(`retry: ${retry}\n\n`);
    const now = () => clock.now();
    const intensity = restart;
    const onEscalate = (report: EscalationReport) => {
      this.escalations += 1;
      const { actor } = report;
      this.escalationsByKind[actor === REGISTRY_ID || actor === HISTORY_ID ? actor : actor.startsWith('partition-') ? 'partition' : 'connection'] += 1;
      try {
        onEscalation(report);
      } catch (error) {
        console.error('[sse-actors] the onEscalation callback threw:', error);
      }
    };
    const children: ChildSpec[] = [
      {
        id: REGISTRY_ID,
        logic: registryLogic<ConnectionHandle>(),
        input: { topics, live: () => this.connections() },
        restart: 'permanent',
      },
      {
        id: HISTORY_ID,
        logic: historyLogic,
        input: { store: createHistoryStore(topics, history.size), size: history.size, ttlMs: history.ttlMs, now },
        restart: 'permanent',
      },
      ...Array.from({ length: partitions }, (_, n): ChildSpec => ({
        id: partitionId(n),
        logic: supervisorLogic,
        // Each connection has its own restart count: one bad stream never takes its siblings down.
        input: { intensity, now, intensityScope: 'child', onEscalate },
        restart: 'permanent',
      })),
    ];
    this.root = createActor(supervisorLogic, {
      id: ROOT_ID,
      clock,
      input: { children, intensity, now, onEscalate },
      ...(inspect ? { inspect: guardInspect(inspect) } : {}),
    });
    // An unobserved root failure would be rethrown as an uncaught exception. Escalation already
    // shut the subtree down and was reported: the system is failed, and says so.
    this.root.subscribe({
      error: (error) => {
        this.state = 'failed';
        this.failure = error;
        this.runtime.wheel.clear();
        this.deadlines.clear();
        if (!(error instanceof EscalationError)) console.error('[sse-actors] root supervisor failed:', error);
        void this.transport.stop();
      },
    });
    this.root.start();
    for (const topic of topics) this.stats.topics[topic] = { notified: 0, delivered: 0 };
    this.started = this.startTransport();
    this.started.catch((error: unknown) => console.error(`[sse-actors] node ${this.node}: the ${this.transport.kind} transport failed to start:`, error));
  }

  /**
   * Starts the transport. A synchronous throw (a transport already in use, bad settings) fails
   * `createSystem`; an asynchronous failure rejects `ready()` and is logged.
   */
  private startTransport(): Promise<void> {
    const { history, topics } = this.options;
    try {
      const started = this.transport.start({
        topics,
        history,
        deliver: (message) => this.deliver(message, true),
        restore: (message) => this.deliver(message, false),
        stateChanged: (state, error) => this.transportStateChanged(state, error),
      });
      return Promise.resolve(started);
    } catch (error) {
      this.root.stop();
      throw error;
    }
  }

  private transportStateChanged(state: TransportState, error: unknown): void {
    const why = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
    console.error(`[sse-actors] node ${this.node}: ${this.transport.kind} transport ${state}${why}`);
  }

  ready(): Promise<void> {
    return this.started;
  }

  get stopped(): boolean {
    return this.state !== 'running';
  }

  private child(id: string): SupervisedChild {
    const child = (this.root.getSnapshot() as SupervisorSnapshot).context.children.get(id);
    if (!child) throw new SystemStoppedError(`reach the ${id} actor`);
    return child;
  }

  private history(): { ref: SupervisedChild['ref']; ctx: HistoryContext } {
    const { ref } = this.child(HISTORY_ID);
    return { ref, ctx: (ref.getSnapshot() as HistorySnapshot).context };
  }

  private registryIndex(): Map<string, Set<ConnectionHandle>> {
    return (this.child(REGISTRY_ID).ref.getSnapshot() as RegistrySnapshot<ConnectionHandle>).context.index;
  }

  /** Every live connection handle, across partitions. */
  private *connections(): Generator<ConnectionHandle> {
    for (let n = 0; n < this.options.partitions; n++) {
      const partition = (this.root.getSnapshot() as SupervisorSnapshot).context.children.get(partitionId(n));
      if (!partition) continue;
      for (const child of (partition.ref.getSnapshot() as SupervisorSnapshot).context.children.values()) {
        yield child.spec as ConnectionHandle;
      }
    }
  }

  resolveTopics(topics: string | readonly string[]): string[] {
    return [...this.topicsFor(topics)];
  }

  /**
   * The resolved topics, shared: every stream that asks for the same topics holds the same frozen
   * array (one allocation per distinct request, not per connection). Bounded, as requests choose the key.
   */
  private topicsFor(topics: string | readonly string[]): readonly string[] {
    // One name (the usual case) is its own key: no string is built per request.
    const one = typeof topics === 'string' ? topics : topics.length === 1 ? topics[0] : undefined;
    const cache = one === undefined ? this.resolvedList : this.resolvedOne;
    const key = one ?? JSON.stringify(topics);
    const cached = cache.get(key);
    if (cached) return cached;
    const patterns = typeof topics === 'string' ? [topics] : topics;
    const { topics: resolved, unmatched } = resolveTopics(patterns, this.topics);
    if (unmatched.length > 0 || resolved.length === 0) throw new UnknownTopicError(unmatched.length ? unmatched : [...patterns], this.topics);
    if (cache.size >= 1024) cache.clear();
    const frozen = Object.freeze(resolved);
    cache.set(key, frozen);
    return frozen;
  }

  notify(event: SseEvent): void | Promise<void> {
    if (this.stopped) throw new SystemStoppedError('notify', this.failure);
    validateEvent(event);
    const { topic } = event;
    if (!this.registered.has(topic)) throw new UnknownTopicError([topic], this.topics);
    const id = wireId(event);
    if (isKnown(this.history().ctx, topic, id)) throw new DuplicateEventIdError(topic, id);
    (this.stats.topics[topic] as { notified: number }).notified += 1;
    this.stats.notified += 1;
    return this.transport.publish({ topic, id, text: encodeValidChunk(event.data, id), publishedAt: Date.now() });
  }

  /**
   * An event from the transport (this node's or another's), in its topic's order. History and
   * fan-out in one synchronous step: a stream that subscribes (and replays) later finds this event
   * in history; one subscribed already gets it live. Never both, never neither.
   */
  private deliver(message: TransportMessage, live: boolean): void {
    if (this.state === 'stopped' || this.state === 'failed') return;
    const { topic, id } = message;
    const counter = this.stats.topics[topic];
    if (!counter) return; // not a topic of this system (another system on the same transport prefix)
    const frame: Frame = { bytes: Buffer.from(message.text), id, event: true, at: this.options.clock.now(), counter };
    this.history().ref.send({ type: APPEND, topic, frame });
    if (!live) return;
    const subscribers = this.registryIndex().get(topic);
    if (!subscribers) return;
    for (const handle of subscribers) handle.enqueue(frame);
  }

  stream(req: SseRequest, res: SseResponse, topics: string | readonly string[], initial?: Chunk): string | null {
    if (this.stopped) throw new SystemStoppedError('open a stream', this.failure);
    if ((res as { headersSent: boolean }).headersSent) {
      throw new TypeError('Cannot open an SSE stream: the response has sent its headers already (a second ctx.sse / system.stream on one request, or a route that wrote first)');
    }
    const resolved = this.topicsFor(topics);
    if (this.live >= this.options.maxConnections) {
      this.counters.rejected += 1;
      throw new TooManyConnectionsError(this.options.maxConnections, Math.ceil((this.options.retry ?? DEFAULT_CLOSE_RETRY_MS) / 1000));
    }
    const frames: Frame[] = [];
    if (this.retryFrame) frames.push(this.retryFrame);
    if (initial !== undefined) {
      validateChunk(initial);
      frames.push(this.initialFrame(encodeValidChunk(initial), initial.id === undefined ? undefined : String(initial.id)));
    }
    (res as { writeHead(status: number, headers: Record<string, string>): unknown }).writeHead(200, sseHeaders(req.httpVersionMajor));
    if (req.method === 'HEAD') {
      // A HEAD response has no body: node ignores writes to it, so a stream would never end.
      res.end();
      return null;
    }
    if (frames.length === 0) (res as { flushHeaders(): void }).flushHeaders();
    const lastEventId = lastEventIdOf(req);
    // Replay and subscribe are one synchronous step (the actor subscribes as it starts, below):
    // no notify can run in between, so nothing is missed and nothing comes twice.
    if (lastEventId !== undefined) {
      const missed = framesAfter(this.history().ctx, resolved, lastEventId);
      if (typeof missed === 'string') {
        this.stats.resets[missed as ResetReason] += 1;
        frames.push(resetFrame(missed, lastEventId));
      } else {
        this.stats.replayed += missed.length;
        for (const frame of missed) frames.push(frame);
      }
    }
    const n = this.seq++;
    const handle = new ConnectionHandle(`c${n}`, resolved, new ResponseSink(res), this.runtime, frames, lastEventId);
    this.live += 1;
    this.child(partitionId(n % this.options.partitions)).ref.send({ type: START_CHILD, spec: handle });
    return handle.id;
  }

  /**
   * The frame of an initial chunk. Streams opened one after another usually start with the same
   * chunk (the same state, until it changes): the last frame is reused when its text is the same,
   * so each of them does not encode a buffer of its own. Frames are never written to.
   */
  private initialFrame(text: string, id: string | undefined): Frame {
    const last = this.lastInitial;
    if (last !== undefined && last.text === text && last.frame.id === id) return last.frame;
    const frame = controlFrame(text, id);
    this.lastInitial = { text, frame };
    return frame;
  }

  snapshot(): SystemSnapshot {
    const connections: ConnectionSnapshot[] = [];
    for (const handle of this.connections()) {
      connections.push({
        id: handle.id,
        state: handle.state,
        topics: [...handle.topics],
        mailbox: handle.queue.length,
        delivered: handle.delivered,
        dropped: handle.dropped,
        lastEventId: handle.cursor ?? null,
        restarts: handle.restarts,
        openedAt: handle.openedAt,
      });
    }
    const root = (this.root.getSnapshot() as SupervisorSnapshot).context;
    let restarts = root.restarts;
    const actors: SystemSnapshot['actors'] = [];
    for (const child of root.children.values()) {
      actors.push({ id: child.spec.id, restarts: child.restarts });
      const ctx = (child.ref.getSnapshot() as Partial<SupervisorSnapshot>).context;
      if (ctx && 'restarts' in ctx) restarts += ctx.restarts;
    }
    const stopped = this.state === 'stopped' || this.state === 'failed';
    const index = stopped ? new Map<string, Set<ConnectionHandle>>() : this.registryIndex();
    const kept: Record<string, number> = stopped ? {} : historySizes(this.history().ctx);
    return {
      status: this.state,
      connections,
      topics: this.topics.map((topic) => ({ topic, subscribers: index.get(topic)?.size ?? 0, history: kept[topic] ?? 0 })),
      restarts,
      actors,
      escalations: this.escalations,
      escalationsByKind: { ...this.escalationsByKind },
      counters: { ...this.counters },
      timers: { keepAlive: this.runtime.wheel.size, deadlines: this.deadlines.size },
      node: this.node,
      transport: this.transport.status(),
      events: { ...this.stats, resets: { ...this.stats.resets }, topics: Object.fromEntries(Object.entries(this.stats.topics).map(([t, c]) => [t, { ...c }])) },
    };
  }

  exit(actorId: string, reason: 'kill' | 'normal' = 'kill'): void {
    if (reason !== 'kill' && reason !== 'normal') throw new TypeError(`system.exit reason must be 'kill' or 'normal', got ${JSON.stringify(reason)}`);
    const ref = this.exitable(actorId);
    if (!ref) throw new UnknownActorError(actorId);
    ref.send({ type: reason === 'kill' ? KILL : EXIT_NORMAL });
  }

  private exitable(actorId: string): SupervisedChild['ref'] | undefined {
    if (this.stopped) return undefined;
    if (actorId === REGISTRY_ID || actorId === HISTORY_ID) return this.child(actorId).ref;
    const n = /^c(\d+)$/.exec(actorId)?.[1];
    if (n === undefined) return undefined;
    const partition = (this.root.getSnapshot() as SupervisorSnapshot).context.children.get(partitionId(Number(n) % this.options.partitions));
    return (partition?.ref.getSnapshot() as SupervisorSnapshot | undefined)?.context.children.get(actorId)?.ref;
  }

  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.drain(options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    return this.stopping;
  }

  private async drain(timeoutMs: number): Promise<void> {
    if (this.state === 'failed') return; // escalation already ended every stream and stopped every actor
    this.state = 'stopping';
    const handles = [...this.connections()];
    const exited = Promise.all(handles.map((handle) => handle.whenExited()));
    for (const handle of handles) handle.actor?.send({ type: CLOSE });
    const { clock } = this.options;
    let timer: unknown;
    const timedOut = new Promise<void>((resolve) => {
      timer = clock.setTimeout(() => resolve(), timeoutMs);
    });
    await Promise.race([exited, timedOut]);
    clock.clearTimeout(timer);
    // What did not end in time is cut; what ended keeps its socket (it may serve another request).
    for (const handle of handles) if (!handle.sink.closed) handle.sink.destroy();
    this.root.stop();
    this.runtime.wheel.clear();
    this.deadlines.clear();
    this.state = 'stopped';
    await this.transport.stop();
  }
}

/**
 * Creates a system: the root supervisor with its registry and connection partitions, the shared
 * keep-alive wheel and the write coalescer. Two systems in one process share nothing.
 */
export function createSystem<T extends Transport = MemoryTransport>(options: SystemOptions & { transport?: T }): SseSystem<NotifyResult<T>> {
  return new System(options) as unknown as SseSystem<NotifyResult<T>>;
}

