import type { AnyActorRef, AnyActorLogic, Observer, Subscription, Snapshot } from 'xstate';
import { OBSERVABLE, isInspected, reportUnhandled, type SystemInternals } from './xstate-system.ts';

// xstate's ProcessingStatus values (also read by @xstate/react).
const NOT_STARTED = 0;
const RUNNING = 1;
const STOPPED = 2;

const STOP_TYPE = 'xstate.stop';
const STOP_EVENT = Object.freeze({ type: STOP_TYPE });
const QUIET_INIT = Object.freeze({ type: 'xstate.init' });

type AnySnapshot = { status: Snapshot<unknown>['status']; output?: unknown; error?: unknown };
type EventLike = { type: string; [key: string]: unknown };
/** What the system's relay hands an event to: an xstate actor's (or a FlatActor's) `_send`. */
type Receiver = { _send(event: EventLike): void };

/** The logic's scope: the flat interpreter's logic reads none of it; one shared object serves every actor. */
const NO_SCOPE = Object.freeze({}) as never;

/**
 * An actor of an xstate system that runs a flat statechart's logic (`flatMachine`): a child of a
 * real xstate actor (its supervisor), in that actor's system, and the same to everyone who talks to
 * it. It is created, started, sent to and stopped as xstate's `Actor` is; it reports `done` and
 * `error` to its parent as `xstate.done.actor.<id>` / `xstate.error.actor.<id>` through the system,
 * and the system's inspectors see the same `@xstate.actor`, `@xstate.event` and `@xstate.snapshot`
 * events in the same order (test/runtime/flat-actor.test.ts runs both side by side).
 *
 * Why: a connection actor is made and ended once per request. xstate's general `Actor` builds
 * about ten objects and closures per instance for features a flat statechart never uses (delayed
 * events, spawned children, emitted events, dev tools, its options merged with a double spread);
 * measured under connect/disconnect churn its constructor alone was the largest single item of a
 * cycle's CPU (docs/decisions.md). This actor keeps its snapshot, a queue only while an event is being
 * processed (run to completion: an event sent from inside an action waits its turn), and observers
 * only once someone subscribes.
 */
export class FlatActor {
  readonly ref = this;
  readonly sessionId: string;
  readonly system: AnyActorRef['system'];
  /** xstate's processing status: 0 not started, 1 running, 2 stopped. */
  _processingStatus = NOT_STARTED;
  private snapshot: AnySnapshot;
  /** Events that came while one was being processed (or before start). */
  private queue: EventLike[] | undefined;
  private busy = false;
  private observers: Set<Partial<Observer<unknown>>> | undefined;

  constructor(
    readonly logic: AnyActorLogic,
    readonly _parent: AnyActorRef,
    readonly id: string,
    private readonly input?: unknown,
  ) {
    this.system = _parent.system;
    const system = this.internals;
    this.sessionId = system._bookId();
    if (this.inspected) system._sendInspectionEvent({ type: '@xstate.actor', actorRef: this });
    try {
      this.snapshot = logic.getInitialSnapshot(NO_SCOPE, input) as AnySnapshot;
    } catch (error) {
      this.snapshot = { status: 'error', output: undefined, error };
    }
  }

  get src(): AnyActorLogic {
    return this.logic;
  }

  private get internals(): SystemInternals {
    return this.system as unknown as SystemInternals;
  }

  /** False while nobody can be inspecting this actor's system (see `markUninspected` in xstate-system.ts). */
  private get inspected(): boolean {
    return isInspected(this.system);
  }

  /** Sends `event` to `target` as xstate's system relays it: with its `@xstate.event` when inspected. */
  private relay(source: FlatActor | undefined, target: Receiver, event: EventLike): void {
    if (this.inspected) this.internals._relay(source, target, event);
    else target._send(event);
  }

  start(): this {
    if (this._processingStatus === RUNNING) return this;
    const system = this.internals;
    // No `system._register`/`_unregister`: in xstate 5.33 (pinned) that map of session ids is only
    // ever written, never read, and a light actor has no systemId to look up. Skipping it saves a
    // hash insert and delete per connection and an entry per live stream.
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
    if (status !== 'done') {
      try {
        this.logic.start?.(this.snapshot, NO_SCOPE);
      } catch (error) {
        this.snapshot = { ...this.snapshot, status: 'error', error };
        this.fail(error);
        return this;
      }
    }
    this.update(this.snapshot, init);
    this.run();
    return this;
  }

  send(event: EventLike): void {
    this.relay(undefined, this, event);
  }

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
      next = this.logic.transition(this.snapshot, event, NO_SCOPE) as AnySnapshot;
    } catch (error) {
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
    if (this.observers !== undefined && (snapshot.status === 'active' || snapshot.status === 'done')) {
      for (const observer of this.observers) {
        try {
          observer.next?.(snapshot);
        } catch (error) {
          reportUnhandled(error);
        }
      }
    }
    if (snapshot.status === 'done') {
      this.halt();
      this.complete();
      const done = { type: `xstate.done.actor.${this.id}`, output: (snapshot as { output?: unknown }).output, actorId: this.id };
      this.relay(this, this._parent as unknown as Receiver, done);
    } else if (snapshot.status === 'error') {
      this.fail(snapshot.error);
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
    if (observers === undefined) return;
    this.observers = undefined;
    for (const observer of observers) {
      try {
        observer.complete?.();
      } catch (error) {
        reportUnhandled(error);
      }
    }
  }

  private fail(error: unknown): void {
    this.halt();
    const observers = this.observers;
    this.observers = undefined;
    let unhandled = false;
    for (const observer of observers ?? []) {
      unhandled ||= !observer.error;
      try {
        observer.error?.(error);
      } catch (thrown) {
        reportUnhandled(thrown);
      }
    }
    if (unhandled) reportUnhandled(error);
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

  stop(): void {
    throw new Error('A non-root actor cannot be stopped directly.');
  }

  getSnapshot(): AnySnapshot {
    return this.snapshot;
  }

  getPersistedSnapshot(): Snapshot<unknown> {
    return this.logic.getPersistedSnapshot(this.snapshot) as Snapshot<unknown>;
  }

  subscribe(next?: Partial<Observer<unknown>> | ((snapshot: unknown) => void), error?: (error: unknown) => void, complete?: () => void): Subscription {
    const observer: Partial<Observer<unknown>> = typeof next === 'object' && next !== null ? next : { next, error, complete };
    if (this._processingStatus !== STOPPED) (this.observers ??= new Set()).add(observer);
    else if (this.snapshot.status === 'done') observer.complete?.();
    else if (this.snapshot.status === 'error') {
      if (observer.error) observer.error(this.snapshot.error);
      else reportUnhandled(this.snapshot.error);
    }
    return { unsubscribe: () => void this.observers?.delete(observer) };
  }

  /** A flat statechart emits nothing: a listener is taken and never called. */
  on(): Subscription {
    return { unsubscribe() {} };
  }

  select<T>(selector: (snapshot: AnySnapshot) => T, equal: (a: T, b: T) => boolean = Object.is): { subscribe: (observer: ((value: T) => void) | Partial<Observer<T>>) => Subscription; get: () => T } {
    return {
      subscribe: (observerOrFn) => {
        const observer = typeof observerOrFn === 'function' ? { next: observerOrFn } : observerOrFn;
        let previous = selector(this.snapshot);
        return this.subscribe((snapshot) => {
          const selected = selector(snapshot as AnySnapshot);
          if (equal(previous, selected)) return;
          previous = selected;
          observer.next?.(selected);
        });
      },
      get: () => selector(this.snapshot),
    };
  }

  toJSON(): { xstate$$type: number; id: string } {
    return { xstate$$type: 1, id: this.id };
  }

  /** Interop observable (`Symbol.observable`, or `'@@observable'` where there is none), as xstate's actors. */
  [OBSERVABLE](): this {
    return this;
  }
}
