import type { AnyActorRef } from 'xstate';

/**
 * The parts of xstate's actor system an actor of that system calls (private in xstate 5.33, which is
 * pinned: test/runtime/xstate-private.test.ts and test/runtime/flat-actor.test.ts fail if they move).
 */
export interface SystemInternals {
  _bookId(): string;
  _sendInspectionEvent(event: object): void;
  _relay(source: unknown, target: unknown, event: object): void;
}

/** The interop observable key xstate's actors use: `Symbol.observable`, or `'@@observable'` where there is none. */
export const OBSERVABLE: string = (Symbol as { observable?: symbol }).observable === undefined ? '@@observable' : (Symbol as unknown as { observable: string }).observable;
/** xstate reports an error nobody handles by throwing it on a timer, out of the actor's call stack. */
export function reportUnhandled(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}

const QUIET: unique symbol = Symbol('sse-actors.uninspected');

/**
 * Marks an xstate system that was created without an inspector: its `FlatActor`s then skip
 * building inspection events nobody would receive (about six objects per connection). The first
 * `system.inspect(observer)` lifts the mark, so an inspector attached later sees every event again.
 */
export function markUninspected(system: object): void {
  const target = system as { inspect?: (observer: unknown) => unknown; [QUIET]?: boolean };
  const inspect = target.inspect;
  if (typeof inspect !== 'function') return;
  target[QUIET] = true;
  target.inspect = (observer: unknown) => {
    target[QUIET] = false;
    return inspect.call(system, observer);
  };
}

/** False while nobody can be inspecting `system` (see {@link markUninspected}). */
export function isInspected(system: AnyActorRef['system']): boolean {
  return (system as { [QUIET]?: boolean })[QUIET] !== true;
}
