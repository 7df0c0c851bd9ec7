import type { ActorLogic, Snapshot } from 'xstate';
import { ActorKilledError, EXIT_NORMAL, KILL, type ExitSignal } from './signals.ts';
import { lightLogic } from '../runtime/flat-actor.ts';

/** A service's snapshot: its context, as a new object after every event that changed it. */
export type ServiceSnapshot<C> = Snapshot<undefined> & { readonly context: C };

/** What a service does; the exit signals are handled for it. */
export interface ServiceBehaviour<C, E extends { type: string }, I> {
  /** The context a (re)started service begins with. */
  init(input: I): C;
  /** The context after `event` (the same object when the service's table is updated in place). */
  handle(context: C, event: E): C;
}

/**
 * Actor logic for a long-lived service of the system (registry, history), as an OTP behaviour:
 * `kill` fails it as a fault would (its supervisor restarts it), `normal` ends it cleanly (a
 * permanent service is started again, fresh). The service only says how its context changes.
 */
export function serviceLogic<C, E extends { type: string }, I>(behaviour: ServiceBehaviour<C, E, I>): ActorLogic<ServiceSnapshot<C>, E | ExitSignal, I> {
  // It reads nothing of its scope but `id`: it runs in the light actor, as connections do (two sends per connection, and one per event to history).
  return lightLogic({
    getInitialSnapshot: (_scope, input) => ({ status: 'active', output: undefined, error: undefined, context: behaviour.init(input) }),
    transition(snapshot, event, scope) {
      if (event.type === KILL) throw new ActorKilledError(scope.id);
      if (event.type === EXIT_NORMAL) return { status: 'done', output: undefined, error: undefined, context: snapshot.context };
      // A new snapshot per handled event (what the inspector is given is a value of its own); the
      // context may be the same object when the service keeps a table updated in place.
      return { status: 'active', output: undefined, error: undefined, context: behaviour.handle(snapshot.context, event as E) };
    },
    getPersistedSnapshot: (snapshot) => ({ ...snapshot, context: undefined }),
  });
}
