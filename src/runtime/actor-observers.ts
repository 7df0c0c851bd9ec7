import type { Observer, Snapshot, Subscription } from 'xstate';
import { reportUnhandled } from './xstate-system.ts';

/** The part of a snapshot an actor reads. */
export type AnySnapshot = { status: Snapshot<unknown>['status']; output?: unknown; error?: unknown };
type Observers = ReadonlySet<Partial<Observer<unknown>>>;

// What a light actor tells its observers, as xstate's Actor does: an observer that throws never
// stops the others (its error is reported on a timer, out of the actor's call stack).

export function notifyNext(observers: Observers, snapshot: unknown): void {
  for (const observer of observers) {
    try {
      observer.next?.(snapshot);
    } catch (error) {
      reportUnhandled(error);
    }
  }
}

export function notifyComplete(observers: Observers): void {
  for (const observer of observers) {
    try {
      observer.complete?.();
    } catch (error) {
      reportUnhandled(error);
    }
  }
}

/** The actor failed: every observer's `error`; the error is reported unhandled if one of them had none. */
export function notifyError(observers: Observers | undefined, error: unknown): void {
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
}

/** An observer that subscribed after the actor stopped: told at once how it ended. */
export function notifyEnded(observer: Partial<Observer<unknown>>, snapshot: AnySnapshot): void {
  if (snapshot.status === 'done') observer.complete?.();
  else if (snapshot.status === 'error') {
    if (observer.error) observer.error(snapshot.error);
    else reportUnhandled(snapshot.error);
  }
}

export interface Selection<T> {
  subscribe(observer: ((value: T) => void) | Partial<Observer<T>>): Subscription;
  get(): T;
}

/** xstate's `actor.select`: a value derived from the snapshot, told to observers when it changes. */
export function selection<T>(actor: { getSnapshot(): AnySnapshot; subscribe(next: (snapshot: unknown) => void): Subscription }, selector: (snapshot: AnySnapshot) => T, equal: (a: T, b: T) => boolean): Selection<T> {
  return {
    subscribe: (observerOrFn) => {
      const observer = typeof observerOrFn === 'function' ? { next: observerOrFn } : observerOrFn;
      let previous = selector(actor.getSnapshot());
      return actor.subscribe((snapshot) => {
        const selected = selector(snapshot as AnySnapshot);
        if (equal(previous, selected)) return;
        previous = selected;
        observer.next?.(selected);
      });
    },
    get: () => selector(actor.getSnapshot()),
  };
}
