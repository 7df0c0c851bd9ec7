import type { AnyActorRef } from 'xstate';

/** An iterator that is always done: stateless, so one serves every idle actor. */
const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });
const EXHAUSTED: IterableIterator<never> = Object.freeze({
  next: () => DONE,
  [Symbol.iterator]() {
    return EXHAUSTED;
  },
});

interface ActorFields {
  observers?: unknown;
  eventListeners?: unknown;
}

/**
 * Stands in for a started xstate Actor's `observers` Set and `eventListeners` Map while both are
 * empty, which for our children is their whole life: nothing subscribes to a connection actor or
 * listens to what it emits (its parent hears of it through the actor system, the inspector through
 * the system's inspection hook). An empty Set and an empty Map cost about 0.45 KB per actor on
 * Node 20's V8 (their hash tables are allocated up front, docs/decisions.md); this object is one
 * field. It answers every read as the empty collection would; the first `add` or `set` puts a real
 * Set or Map in its place on the actor, so a later subscriber works as with xstate's own.
 * This touches private fields, like {@link forgetStartOptions}: xstate is pinned to the minor it was
 * checked on and test/runtime/xstate-private.test.ts fails loudly if the fields move.
 */
class IdleListeners {
  constructor(private readonly actor: ActorFields) {}

  get size(): number {
    return 0;
  }

  has(): boolean {
    return false;
  }

  get(): undefined {
    return undefined;
  }

  delete(): boolean {
    return false;
  }

  clear(): void {}

  forEach(): void {}

  [Symbol.iterator](): IterableIterator<never> {
    return EXHAUSTED;
  }

  /** A first observer: the actor gets a real Set. */
  add(observer: unknown): Set<unknown> {
    const observers = new Set([observer]);
    this.actor.observers = observers;
    return observers;
  }

  /** A first event listener: the actor gets a real Map. */
  set(type: unknown, listeners: unknown): Map<unknown, unknown> {
    const map = new Map([[type, listeners]]);
    this.actor.eventListeners = map;
    return map;
  }
}

/**
 * After `start()`: swaps a started actor's empty `observers` and `eventListeners` for one
 * {@link IdleListeners} (nothing is swapped when either is missing or not empty).
 * @example
 * ```ts
 * ref.start();
 * idleListeners(ref); // about 0.45 KB less per actor until something subscribes
 * ```
 */
export function idleListeners(ref: object): void {
  const actor = ref as ActorFields;
  const { observers, eventListeners } = actor;
  if (!(observers instanceof Set) || observers.size > 0 || !(eventListeners instanceof Map) || eventListeners.size > 0) return;
  const idle = new IdleListeners(actor);
  actor.observers = idle;
  actor.eventListeners = idle;
}

/**
 * xstate's Actor keeps the options it merged with `{ ...defaults, ...options }`. On Node 20's V8
 * that double spread gives every merged object a hidden class of its own (about 0.4 KB per actor,
 * for the actor's whole life; see docs/decisions.md). After start() xstate reads only `input` and
 * `devTools` from it, and only while starting: a started child keeps a shared one. This touches a
 * private field, so xstate is pinned to the minor it was checked on (`~5.33`), and
 * test/runtime/xstate-private.test.ts fails loudly if the field moves.
 */
export function forgetStartOptions(ref: AnyActorRef): void {
  const actor = ref as { options?: unknown };
  if (actor.options !== undefined) actor.options = STARTED_OPTIONS;
}

const STARTED_OPTIONS = Object.freeze({});
