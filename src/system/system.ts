import { encodeValidChunk, validateChunk, validateEvent, wireId, type SseEvent } from '../protocol/chunk.ts';
import { Topics } from './topics.ts';
import { fanOut } from './fan-out.ts';
import { LastFrameCache, type Frame } from '../protocol/frame.ts';
import { retryFrame } from '../protocol/control.ts';
import { validateUser } from '../protocol/user.ts';
import { makeConnectionRuntime } from './make-connection-runtime.ts';
import { SystemStoppedError, DuplicateEventIdError, UnknownActorError, NotUnderPresenceError } from './errors.ts';
import { Presence, checkSelector, disconnectLocal } from './presence.ts';
import { memoryPresence } from '../transport/presence-memory.ts';
import type { DisconnectSelector, Occupancy, PresenceEntry } from '../transport/presence-types.ts';
import type { PresencePort } from './presence-port.ts';
import { resolveOptions, type ResolvedOptions, type SystemOptions } from './defaults.ts';
import { EscalationError } from '../actors/supervisor.ts';
import { KILL, EXIT_NORMAL } from '../actors/signals.ts';
import { Connection, CLOSE, type ConnectionRuntime } from '../actors/connection.ts';
import type { ReleasedStream } from '../actors/connection-runtime.ts';
import { Deadlines } from '../runtime/deadlines.ts';
import { within } from '../runtime/clock.ts';
import { APPEND, createHistoryStore, isKnown } from '../actors/history.ts';
import { SupervisionTree } from '../actors/tree.ts';
import { Escalations } from './escalations.ts';
import type { Sink } from '../runtime/sink.ts';
import { Stats } from '../runtime/stats.ts';
import type { PendingAdmission } from './admission.ts';
import { Admissions } from './admissions.ts';
import { guardInspect } from './inspect-guard.ts';
import { takeSnapshot } from './snapshot.ts';
import { memoryTransport } from '../transport/memory.ts';
import type { Transport, TransportMessage } from '../transport/types.ts';
import { startTransport } from './transport-start.ts';
import type { SystemPort, SystemSnapshot, StopOptions, AdmitRequest, Admission } from './types.ts';

/** The base of the `retry:` hint written when the server ends a stream, when no `retry` option is set. */
export const DEFAULT_CLOSE_RETRY_MS = 1000;
/** How long `stop()` waits for streams to flush and end before they are destroyed. @default 5000 */
export const DEFAULT_STOP_TIMEOUT_MS = 5000;

/**
 * The composition root: wires the supervision tree, the connection runtime and the transport, and
 * implements the port (admit, then attach to a Sink) that every HTTP adapter uses. It knows no HTTP
 * stack. The data path (notify → history + fan-out) is here; lifecycles live in the actors.
 */
export class System implements SystemPort<void | Promise<void>>, PresencePort {
  readonly topics: readonly string[];
  readonly node: string;
  private readonly options: ResolvedOptions;
  private readonly tree: SupervisionTree;
  private readonly runtime: ConnectionRuntime;
  private readonly transport: Transport;
  private readonly started: Promise<void>;
  private readonly retryFrame: Frame | undefined;
  private readonly deadlines: Deadlines;
  private readonly stats = new Stats();
  /** Admission control: places under `maxConnections`, pending admissions, busy answers. */
  private readonly admissions: Admissions;
  /** Released connections whose socket has not closed yet (they get `closeTimeoutMs`, then are destroyed). */
  private readonly lingering = new Set<ReleasedStream>();
  private lingered: (() => void) | undefined;
  private seq = 0;
  private readonly live: Topics; // live topics, families, runtime registration, reclaim, what this node reads
  private state: SystemSnapshot['status'] = 'running';
  private failure: unknown;
  private readonly escalations: Escalations;
  private stopping: Promise<void> | undefined;
  private readonly initialFrames = new LastFrameCache();
  /** Presence, only when `createSystem({ presence })` asks for it: nothing of it runs otherwise. */
  private readonly here: Presence | undefined;

  constructor(options: SystemOptions) {
    const resolved = (this.options = resolveOptions(options));
    const escalations = (this.escalations = new Escalations(resolved.onEscalation));
    const { clock, topics, history, retry } = resolved;
    this.topics = [...topics, ...resolved.families];
    this.node = resolved.node;
    this.transport = resolved.transport ?? memoryTransport();
    this.deadlines = new Deadlines(clock);
    this.retryFrame = retry === undefined ? undefined : retryFrame(retry);
    const { maxConnections, authorizeTimeoutMs, busyRetry } = resolved;
    const closeRetryMs = retry ?? DEFAULT_CLOSE_RETRY_MS;
    const start = (admission: PendingAdmission, sink: Sink): string => this.start(admission, sink);
    this.admissions = new Admissions({ maxConnections, authorizeTimeoutMs, busyRetry, retryAfterSeconds: Math.ceil(closeRetryMs / 1000), deadlines: this.deadlines, stats: this.stats, start });
    const store = { store: createHistoryStore(topics, history.size, history.maxBytes, history.maxTotalBytes), size: history.size, ttlMs: history.ttlMs };
    // The first registry starts before Topics exists: its report of the patterns it holds waits for it.
    const patterns = { changed: (pattern: string, live: boolean) => this.live.watch.pattern(pattern, live), rebuilt: (present: readonly string[]) => (this.live as Topics | undefined)?.watch.rebuilt(present) };
    const inspect = resolved.inspect ? guardInspect(resolved.inspect) : undefined;
    this.tree = new SupervisionTree({ clock, topics, history: store, partitions: resolved.partitions, intensity: resolved.restart, inspect, onEscalate: (report) => escalations.escalated(report), onFailure: (error) => this.failed(error), onIdle: (topic) => this.live.idle(topic), patterns });
    const { tree, stats, deadlines, transport } = this;
    this.live = new Topics(resolved, this.topics, { tree, stats, deadlines, clock, transport, deliver: (message, live) => this.deliver(message, live) });
    const expand = (names: readonly string[]): readonly string[] => this.live.expand(names);
    const stopping = (): boolean => this.state !== 'running';
    this.runtime = makeConnectionRuntime(resolved, { tree, deadlines, stats, closeRetryMs, stopRetry: busyRetry, stopping, expand, released: (c) => this.released(c), closed: (c) => this.closedAfterRelease(c) });
    const presenceStore = resolved.presence && (this.transport.presence?.() ?? memoryPresence());
    this.here = presenceStore && new Presence(resolved.presence!, { node: this.node, clock, stats, store: presenceStore, connections: () => tree.connections(), notify: (event) => this.notify(event) });
    try {
      this.started = startTransport(this.transport, this.node, resolved, {
        deliver: (message) => this.deliver(message, true),
        restore: (message) => this.deliver(message, false),
      });
    } catch (error) {
      this.tree.stop();
      throw error;
    }
  }

  get stopped(): boolean {
    return this.state !== 'running';
  }

  /**
   * The root failed: escalation already shut the tree down (every stream was ended with a retry
   * hint and reported). Keep-alives stop; close deadlines stay, so clients that do not read are
   * still destroyed after `closeTimeoutMs`.
   */
  private failed(error: unknown): void {
    this.state = 'failed';
    this.failure = error;
    this.runtime.keepAlive.clear();
    if (!(error instanceof EscalationError)) console.error('[sse-actors] root supervisor failed:', error);
    void this.transport.stop();
  }

  private released(stream: ReleasedStream): void {
    this.admissions.released();
    this.here?.closed(stream);
    if (!stream.sink.closed) this.lingering.add(stream);
  }

  /** A released connection's socket closed at last (the client took the end, or it was destroyed). */
  private closedAfterRelease(stream: ReleasedStream): void {
    if (this.lingering.delete(stream) && this.lingering.size === 0) this.lingered?.();
  }

  ready(): Promise<void> {
    return this.started;
  }

  resolveTopics(topics: string | readonly string[]): string[] {
    return [...this.live.catalog.resolve(topics)];
  }

  notify(event: SseEvent): void | Promise<void> {
    if (this.stopped) throw new SystemStoppedError('notify', this.failure);
    // A plain copy, each field read once: what was checked is what is encoded.
    const valid = validateEvent(event);
    const { topic } = valid;
    this.live.forNotify(topic); // a live topic, or a family's name created now; else a typed error
    const id = wireId(valid);
    const history = this.tree.history();
    if (history && isKnown(history.context, topic, id)) throw new DuplicateEventIdError(topic, id);
    this.stats.notifiedOn(topic);
    this.stats.notified += 1;
    return this.transport.publish({ topic, id, text: encodeValidChunk(valid.data, id), publishedAt: this.runtime.epoch() });
  }

  /**
   * An event from the transport (this node's or another's), in its topic's order. History and
   * fan-out in one synchronous step: a stream that subscribes (and replays) later finds this event
   * in history; one subscribed already gets it live. Never both, never neither.
   */
  private deliver(message: TransportMessage, live: boolean): void {
    if (this.state === 'stopped' || this.state === 'failed') return;
    const { topic, id } = message;
    // Not live here and no family of ours takes it (another system on the bus), or held until its history is in.
    if ((!this.live.table.has(topic) && !this.live.forDelivery(topic)) || this.live.mirror.held(message)) return;
    const frame: Frame = { bytes: Buffer.from(message.text), id, event: true, at: this.options.clock.now(), topic };
    this.tree.history()?.ref.send({ type: APPEND, topic, frame });
    if (!live) return;
    const registry = this.tree.registry();
    if (registry) fanOut(registry, topic, frame);
  }

  admit(request: AdmitRequest): Admission {
    const eventStream = request.eventStream === true;
    if (this.stopped) throw new SystemStoppedError('open a stream', this.failure, eventStream ? this.admissions.busy('stopping', true) : undefined);
    const topics = this.live.catalog.resolve(request.topics);
    this.live.admissible(topics);
    const { initial, lastEventId } = request;
    const user = request.user === undefined ? undefined : validateUser(request.user);
    const start: Frame[] = [];
    if (this.retryFrame) start.push(this.retryFrame);
    if (initial !== undefined) {
      const valid = validateChunk(initial); // a plain copy: what was checked is what is encoded
      start.push(this.initialFrames.frame(encodeValidChunk(valid), valid.id === undefined ? undefined : String(valid.id)));
    }
    return this.admissions.take(topics, lastEventId, start, eventStream, user);
  }

  /** The system's half of attaching an admission: replay, open the sink, subscribe — one synchronous step. */
  private start(admission: PendingAdmission, sink: Sink): string {
    if (this.stopped) throw new SystemStoppedError('open a stream', this.failure);
    this.live.forStream(admission.topics); // names a family creates: all or none (TooManyTopicsError), before anything is written
    const n = this.seq++;
    const id = `c${n}`;
    // A topic this node does not read yet (a remote transport): its history is fetched first.
    const warming = this.live.mirror.ready(admission.topics);
    if (!warming) this.begin(n, id, admission, sink, true);
    else {
      sink.open(false); // may throw, as below; the client sees the stream open while history comes
      warming.then(() => this.begin(n, id, admission, sink, false), () => this.abandon(sink));
    }
    return id;
  }

  /** Replay and subscribe in one synchronous step (the actor subscribes as it starts): nothing is missed, nothing comes twice. */
  private begin(n: number, id: string, admission: PendingAdmission, sink: Sink, opening: boolean): void {
    if (!opening && this.stopped) return this.abandon(sink);
    const { topics, lastEventId, start: frames } = admission; // made for it in admit, read once, here: the mailbox takes it
    if (lastEventId !== undefined) this.live.replayInto(frames, topics, lastEventId);
    if (opening) sink.open(frames.length > 0); // may throw (a response that was written meanwhile): still admitted, for the adapter to cancel
    const connection = new Connection(id, topics, sink, this.runtime, frames, lastEventId, admission.identity);
    this.tree.startConnection(n, connection);
    this.here?.opened(connection);
  }

  /** History could not be fetched (or the system stopped meanwhile): the stream ends with a retry hint. */
  private abandon(sink: Sink): void {
    this.admissions.released();
    if (sink.ended) return;
    if (!sink.closed) sink.write(this.runtime.frames.closeHint().bytes, () => undefined);
    sink.end();
  }

  get connectionCount(): number {
    return this.tree.connectionCount();
  }

  snapshot(): SystemSnapshot {
    const { state: status, live: topics, escalations, admissions, runtime, deadlines, node, stats } = this;
    const timers = { keepAlive: runtime.keepAlive.size, deadlines: deadlines.size };
    const { total, byKind: escalationsByKind } = escalations;
    return takeSnapshot(this.tree, { status, topics, escalations: total, escalationsByKind, admitting: admissions.admitting, timers, node, transport: this.transport.status(), stats, presence: this.here?.counts() ?? [] });
  }

  presence(topic: string): Promise<PresenceEntry[]> {
    return this.here ? this.here.list(topic) : Promise.reject(new NotUnderPresenceError(topic));
  }

  occupancy(topic: string): Promise<Occupancy> {
    return this.here ? this.here.occupancy(topic) : Promise.reject(new NotUnderPresenceError(topic));
  }

  async disconnect(selector: DisconnectSelector): Promise<number> {
    const valid = checkSelector(selector);
    if (this.stopped) throw new SystemStoppedError('disconnect', this.failure);
    return this.here ? this.here.everywhere(valid) : disconnectLocal(this.tree.connections(), valid, this.stats);
  }

  registerTopic(topic: string): void {
    if (this.stopped) throw new SystemStoppedError('register a topic', this.failure);
    this.live.register(topic);
  }

  unregisterTopic(topic: string): void {
    if (this.stopped) throw new SystemStoppedError('unregister a topic', this.failure);
    for (const connection of this.live.unregister(topic)) connection.actor?.send({ type: CLOSE });
  }

  exit(actorId: string, reason: 'kill' | 'normal' = 'kill'): void {
    if (reason !== 'kill' && reason !== 'normal') throw new TypeError(`system.exit reason must be 'kill' or 'normal', got ${JSON.stringify(reason)}`);
    const ref = this.stopped ? undefined : this.tree.actor(actorId);
    if (!ref) throw new UnknownActorError(actorId);
    ref.send({ type: reason === 'kill' ? KILL : EXIT_NORMAL });
  }

  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.drain(options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    return this.stopping;
  }

  private async drain(timeoutMs: number): Promise<void> {
    if (this.state === 'failed') return this.afterFailure(timeoutMs);
    this.state = 'stopping';
    // Pending admissions are answered busy by their adapters; stop waits for them as for streams.
    const answered = this.admissions.revokeAll();
    const connections = [...this.tree.connections()];
    const exited = Promise.all(connections.map((c) => c.whenExited()));
    for (const c of connections) c.actor?.send({ type: CLOSE });
    await within(this.options.clock, Promise.all([exited, answered]), timeoutMs);
    this.admissions.abandon();
    // What did not end in time is cut; what ended keeps its socket (it may serve another request).
    for (const c of connections) if (!c.sink.closed) c.sink.destroy();
    this.tree.stop();
    this.live.stop();
    this.runtime.keepAlive.clear();
    this.deadlines.clear();
    this.state = 'stopped';
    await this.here?.stop();
    await this.transport.stop();
  }

  /** After a failure every stream was ended: wait for their sockets to close, then cut the rest. */
  private async afterFailure(timeoutMs: number): Promise<void> {
    if (this.lingering.size > 0) await within(this.options.clock, new Promise<void>((resolve) => (this.lingered = resolve)), timeoutMs);
    for (const c of [...this.lingering]) c.sink.destroy();
    this.lingering.clear();
    this.deadlines.clear();
  }
}

