import type { AnyActorRef, AnyActorLogic, Observer, Subscription, Snapshot } from 'xstate';
import { OBSERVABLE, isInspected, type SystemInternals } from './xstate-system.ts';
import { notifyComplete, notifyEnded, notifyError, notifyNext, selection, type AnySnapshot, type Selection } from './actor-observers.ts';

export { lightLogic, isLightLogic } from './light-logic.ts';

// xstate's ProcessingStatus values (also read by @xstate/react).
const NOT_STARTED = 0;
const RUNNING = 1;
const STOPPED = 2;

const STOP_TYPE = 'xstate.stop';
const STOP_EVENT = Object.freeze({ type: STOP_TYPE });
const QUIET_INIT = Object.freeze({ type: 'xstate.init' });

type EventLike = { type: string; [key: string]: unknown };
/** What the system's relay hands an event to: an xstate actor's (or a FlatActor's) `_send`. */
type Receiver = { _send(event: EventLike): void };

/**
 * An actor of an xstate system that runs a flat statechart's logic (`flatMachine`), or logic marked
 * with `lightLogic` (the partitions' supervisors, the registry, history): a child of a real xstate
 * actor, in its system, created, started, sent to and stopped as xstate's `Actor` is. It reports
 * `xstate.done.actor.<id>` / `xstate.error.actor.<id>` to its parent, and inspectors see the same
 * `@xstate.actor`, `@xstate.event` and `@xstate.snapshot` events in the same order
 * (test/runtime/flat-actor.test.ts and light-supervisor.test.ts run both side by side). Its scope is
 * the actor (`id`, `self`, `defer`, `stopChild`); effects run once the step's snapshot is in.
 *
 * Why: a connection actor is made and ended once per request, and xstate's `Actor` builds about ten
 * objects and closures per instance for features a flat statechart never uses; its constructor was
 * the largest single item of a connect/disconnect cycle's CPU (docs/decisions.md). This one keeps its
 * snapshot, a queue only while an event is processed (run to completion), and observers only once
 * someone subscribes.
 */
export class FlatActor {
  readonly ref = this;
  /** Booked when first read (by an inspector, say): a quiet system's actors never make the string. */
  get sessionId(): string { return (this.session ??= this.internals._bookId()); }
  private session: string | undefined;
  readonly system: AnyActorRef['system'];
  /** xstate's processing status: 0 not started, 1 running, 2 stopped. */
  _processingStatus = NOT_STARTED;
  private snapshot: AnySnapshot;
  /** Events that came while one was being processed (or before start). */
  private queue: EventLike[] | undefined;
  private busy = false;
  private observers: Set<Partial<Observer<unknown>>> | undefined;
  /** Effects the logic deferred (`scope.defer`) in the step being taken: run once its snapshot is in, as xstate runs them. */
  private deferred: Array<() => void> | undefined;

  constructor(
    readonly logic: AnyActorLogic,
    readonly _parent: AnyActorRef,
    readonly id: string,
    private readonly input?: unknown,
  ) {
    this.system = _parent.system;
    if (this.inspected) this.internals._sendInspectionEvent({ type: '@xstate.actor', actorRef: this });
    try {
      this.snapshot = logic.getInitialSnapshot(this as never, input) as AnySnapshot;
    } catch (error) {
      this.snapshot = { status: 'error', output: undefined, error };
    }
  }

  get src(): AnyActorLogic { return this.logic; }

  // --- the logic's scope (xstate's ActorScope): the actor is its own ---

  /** `scope.self`. */
  get self(): this { return this; }

  /** `scope.defer`: runs `fn` after the current step's snapshot is set, before observers hear of it. */
  defer(fn: () => void): void {
    (this.deferred ??= []).push(fn);
  }

  /** `scope.stopChild`: stops a child of this actor (xstate's rule: only its own). */
  stopChild(child: AnyActorRef): void {
    if ((child as unknown as { _parent?: unknown })._parent !== this) throw new Error(`Cannot stop child actor ${child.id} of ${this.id} because it is not a child`);
    (child as unknown as { _stop(): unknown })._stop();
  }

  private get internals(): SystemInternals { return this.system as unknown as SystemInternals; }

  /** False while nobody can be inspecting this actor's system (see `markUninspected` in xstate-system.ts). */
  private get inspected(): boolean { return isInspected(this.system); }

  /** Sends `event` to `target` as xstate's system relays it: with its `@xstate.event` when inspected. */
  private relay(source: FlatActor | undefined, target: Receiver, event: EventLike): void {
    if (this.inspected) this.internals._relay(source, target, event);
    else target._send(event);
  }

  start(): this {
    if (this._processingStatus === RUNNING) return this;
    const system = this.internals;
    // No `system._register`/`_unregister`: in xstate 5.33 (pinned) that map is only ever written, and a
    // light actor has no systemId to look up (a hash insert and delete saved per connection).
    this._processingStatus = RUNNING;
    // The init event is only ever seen by an inspector: a quiet system shares one.
    const inspected = this.inspected;
    const init = inspected ? { type: 'xstate.init', input: this.input } : QUIET_INIT;
    if (inspected) system._sendInspectionEvent({ type: '@xstate.event', sourceRef: this._parent, actorRef: this, event: init });
    const { status } = this.snapshot;
    if (status === 'error') {
      this.fail(this.snapshot.error);
      return this;
    }
    // Events sent while it starts (by its entry actions, by children it starts) wait until it has
    // started, as they wait in xstate's mailbox, which starts last.
    this.busy = true;
    try {
      if (status !== 'done') {
        try {
          this.logic.start?.(this.snapshot, this as never);
        } catch (error) {
          this.snapshot = { ...this.snapshot, status: 'error', error };
          this.fail(error);
          return this;
        }
      }
      this.update(this.snapshot, init);
    } finally {
      this.busy = false;
    }
    this.run();
    return this;
  }

  send(event: EventLike): void { this.relay(undefined, this, event); }

  /** Called by the system's relay (xstate's `_send`): processes now, or queues behind the event being processed. */
  _send(event: EventLike): void {
    if (this._processingStatus === STOPPED) return;
    if (this.busy || this._processingStatus === NOT_STARTED) {
      (this.queue ??= []).push(event);
      return;
    }
    this.busy = true;
    try {
      this.process(event);
      this.drain();
    } finally {
      this.busy = false;
      this.queue = undefined;
    }
  }

  /**
   * A step that changes nothing the actor shows, taken without an event when nobody can see steps (no
   * inspector, no observer) and the actor is running and idle: `effect(a, b)` runs as the step's
   * effect would (busy, so what the actor sends itself waits; a throw fails it). False, with nothing
   * done, when the step must be sent as an event. Taken by a partition's start of a child and the registry.
   */
  quietStep<A, B>(effect: (a: A, b: B) => void, a: A, b: B): boolean {
    if (this.busy || this._processingStatus !== RUNNING || this.observers !== undefined || this.inspected) return false;
    this.busy = true;
    try {
      effect(a, b);
    } catch (error) {
      this.snapshot = { ...this.snapshot, status: 'error', error };
      this.fail(error);
    } finally {
      this.busy = false;
    }
    this.run();
    return true;
  }

  /** Processes what was queued meanwhile, in order, until the actor stops. */
  private drain(): void {
    for (let event = this.queue?.shift(); event !== undefined; event = this.queue?.shift()) this.process(event);
  }

  /** What was sent before start runs now. */
  private run(): void {
    if (this.queue === undefined) return;
    this.busy = true;
    try {
      this.drain();
    } finally {
      this.busy = false;
      this.queue = undefined;
    }
  }

  private process(event: EventLike): void {
    let next: AnySnapshot;
    try {
      next = this.logic.transition(this.snapshot, event, this as never) as AnySnapshot;
    } catch (error) {
      if (this.deferred) this.deferred.splice(0); // the effects of a step that failed never run
      this.snapshot = { ...this.snapshot, status: 'error', error };
      this.fail(error);
      return;
    }
    this.update(next, event);
    if (event.type === STOP_TYPE) {
      this.halt();
      this.complete();
    }
  }

  private update(snapshot: AnySnapshot, event: EventLike): void {
    this.snapshot = snapshot;
    const deferred = this.deferred; // kept from step to step once made (a supervisor defers on every event)
    if (deferred !== undefined && deferred.length > 0) {
      for (let i = 0; i < deferred.length; i++) {
        try {
          (deferred[i] as () => void)();
        } catch (error) {
          // As xstate: an effect that throws drops the rest and fails the actor.
          this.snapshot = { ...snapshot, status: 'error', error };
          break;
        }
      }
      while (deferred.length > 0) deferred.pop(); // keeps the array's store: `length = 0` frees it
    }
    // What happens next follows the snapshot as it stands after the effects; observers and the inspector are given the step's own.
    const { status } = this.snapshot;
    if (this.observers !== undefined && (status === 'active' || status === 'done')) notifyNext(this.observers, snapshot);
    if (status === 'done') {
      this.halt();
      this.complete();
      const done = { type: `xstate.done.actor.${this.id}`, output: (snapshot as { output?: unknown }).output, actorId: this.id };
      this.relay(this, this._parent as unknown as Receiver, done);
    } else if (status === 'error') {
      this.fail(this.snapshot.error);
    }
    if (this.inspected) this.internals._sendInspectionEvent({ type: '@xstate.snapshot', actorRef: this, event, snapshot });
  }

  /** Stopped for good: nothing queued runs, nothing sent later is taken. */
  private halt(): void {
    if (this._processingStatus !== RUNNING) return;
    this.queue = undefined;
    this._processingStatus = STOPPED;
  }

  private complete(): void {
    const observers = this.observers;
    this.observers = undefined;
    if (observers !== undefined) notifyComplete(observers);
  }

  private fail(error: unknown): void {
    this.halt();
    const observers = this.observers;
    this.observers = undefined;
    notifyError(observers, error);
    this.relay(this, this._parent as unknown as Receiver, { type: `xstate.error.actor.${this.id}`, error, actorId: this.id });
  }

  /** Stopped by its parent (`stopChild`): queued events are dropped, `xstate.stop` runs after the one in progress. */
  _stop(): this {
    if (this._processingStatus === STOPPED) return this;
    if (this.busy) this.queue = [];
    else this.queue = undefined;
    if (this._processingStatus === NOT_STARTED) {
      this._processingStatus = STOPPED;
      return this;
    }
    this._send(STOP_EVENT);
    return this;
  }

  stop(): void { throw new Error('A non-root actor cannot be stopped directly.'); }

  getSnapshot(): AnySnapshot { return this.snapshot; }

  getPersistedSnapshot(): Snapshot<unknown> {
    return this.logic.getPersistedSnapshot(this.snapshot) as Snapshot<unknown>;
  }

  subscribe(next?: Partial<Observer<unknown>> | ((snapshot: unknown) => void), error?: (error: unknown) => void, complete?: () => void): Subscription {
    const observer: Partial<Observer<unknown>> = typeof next === 'object' && next !== null ? next : { next, error, complete };
    if (this._processingStatus !== STOPPED) (this.observers ??= new Set()).add(observer);
    else notifyEnded(observer, this.snapshot);
    return { unsubscribe: () => void this.observers?.delete(observer) };
  }

  /** A flat statechart emits nothing: a listener is taken and never called. */
  on(): Subscription {
    return { unsubscribe() {} };
  }

  select<T>(selector: (snapshot: AnySnapshot) => T, equal: (a: T, b: T) => boolean = Object.is): Selection<T> {
    return selection(this, selector, equal);
  }

  toJSON(): { xstate$$type: number; id: string } {
    return { xstate$$type: 1, id: this.id };
  }

  /** Interop observable (`Symbol.observable`, or `'@@observable'` where there is none), as xstate's actors. */
  [OBSERVABLE](): this { return this; }
}
