/**
 * Exit signals, as Erlang's `exit(Pid, kill | normal)`: every exitable actor handles both. `kill`
 * makes the actor fail as a fault would (its supervisor sees a crash); `normal` makes it stop
 * cleanly (a connection ends its stream gracefully; a permanent service is restarted fresh).
 */
export const KILL = 'sse.exit.kill';
export const EXIT_NORMAL = 'sse.exit.normal';

export type ExitSignal = { type: typeof KILL } | { type: typeof EXIT_NORMAL };

/**
 * The error an actor fails with when it receives `kill`.
 * @example
 * ```ts
 * createSystem({
 *   topics: ['news'],
 *   onEscalation: ({ actor, error }) => {
 *     if (error instanceof ActorKilledError) console.log(`${actor} was killed with system.exit(id, 'kill')`);
 *   },
 * });
 * ```
 */
export class ActorKilledError extends Error {
  override readonly name = 'ActorKilledError';
  constructor(readonly actor: string) {
    super(`Actor "${actor}" was killed (system.exit(id, 'kill'))`);
  }
}
