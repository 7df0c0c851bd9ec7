import type { SseUser } from '../protocol/user.ts';
import { flatMachine, type FlatArgs } from '../runtime/flat-machine.ts';
import { ActorKilledError, EXIT_NORMAL, KILL, type ExitSignal } from './signals.ts';

/**
 * What the machine's actions and guards act on: the connection that owns the resources (its sink,
 * mailbox, keep-alive entry, registry entries). The machine decides when; the connection does it.
 */
export interface ConnectionResources {
  readonly id: string;
  /** Listens to the sink and starts the lifetime clock. */
  acquire(): void;
  /** Joins the registry's index (again, after a restart: the registry may have been rebuilt meanwhile). */
  subscribe(): void;
  startStreaming(): void;
  stopStreaming(): void;
  /** Writes what is queued and a retry hint, then ends the stream. */
  drainAndEnd(): void;
  /** The response is gone (closed or failed). */
  readonly sinkClosed: boolean;
  /** The server started ending this stream (a restarted actor carries on ending it). */
  readonly isEnding: boolean;
  /** Who the stream belongs to (shown in the actor's context, so the inspector sees it). */
  readonly user?: SseUser;
}

export const BLOCKED = 'sink.blocked';
export const DRAINED = 'sink.drained';
export const SINK_CLOSED = 'sink.closed';
export const CLOSE = 'connection.close';
export const OVERFLOW = 'mailbox.overflow';
export const LIFETIME_ENDED = 'lifetime.ended';

export type ConnectionEvent =
  | { type: typeof BLOCKED }
  | { type: typeof DRAINED }
  | { type: typeof SINK_CLOSED }
  | { type: typeof CLOSE }
  | { type: typeof OVERFLOW }
  | { type: typeof LIFETIME_ENDED }
  | ExitSignal;

/**
 * Connection states, as the inspector and `snapshot()` show them.
 * @example
 * ```ts
 * const blocked = system.snapshot().connections.filter((c) => c.state === 'blocked').length;
 * ```
 */
export type ConnectionState = 'open' | 'streaming' | 'blocked' | 'closing' | 'closed';

type Args = FlatArgs<{ handle: ConnectionResources }, ConnectionEvent>;

/** What the machine's action and guard names do: call into the connection (also used by bench/lifecycle.ts with xstate's interpreter). */
export const connectionImplementations = {
  actions: {
    acquire: ({ context }: Args) => context.handle.acquire(),
    subscribe: ({ context }: Args) => context.handle.subscribe(),
    startStreaming: ({ context }: Args) => context.handle.startStreaming(),
    stopStreaming: ({ context }: Args) => context.handle.stopStreaming(),
    drainAndEnd: ({ context }: Args) => context.handle.drainAndEnd(),
    // Fails the actor as a fault would: the partition restarts it on the same socket.
    crash: ({ context }: Args) => {
      throw new ActorKilledError(context.handle.id);
    },
  },
  guards: {
    sinkClosed: ({ context }: Args) => context.handle.sinkClosed,
    ending: ({ context }: Args) => context.handle.isEnding,
  },
};

/**
 * The connection machine: open → streaming ⇄ blocked → closing → closed. The server ends a stream
 * (`closing`) on `system.stop()`, at its lifetime, or when its mailbox overflows under `close`. A
 * pure definition in xstate's config format; its actions call into the connection, which owns the
 * resources. Releasing them is not an action: the connection's supervisor calls its `onExit` exactly
 * once, however the actor ended (`closed`, a crash past the restart intensity, a shutdown). It runs
 * on the flat statechart interpreter (`flat-machine.ts`): one is started and stopped per request.
 */
export const connectionMachine = flatMachine<{ handle: ConnectionResources; user?: SseUser }, ConnectionState, ConnectionEvent, ConnectionResources>(
  {
    id: 'connection',
    context: ({ input }) => (input?.user === undefined ? { handle: input } : { handle: input, user: input.user }), // input is absent only in tests that run the bare machine
    on: { [KILL]: { actions: 'crash' } },
    initial: 'open',
    states: {
      open: {
        entry: ['acquire', 'subscribe'],
        // A restart in the middle of ending the stream carries on ending it.
        always: [{ guard: 'ending', target: 'closing' }, { target: 'streaming' }],
      },
      streaming: {
        entry: 'startStreaming',
        exit: 'stopStreaming',
        on: {
          [BLOCKED]: 'blocked',
          [CLOSE]: 'closing',
          [EXIT_NORMAL]: 'closing',
          [LIFETIME_ENDED]: 'closing',
          [OVERFLOW]: 'closing',
          [SINK_CLOSED]: 'closed',
        },
      },
      blocked: {
        on: {
          [DRAINED]: 'streaming',
          [CLOSE]: 'closing',
          [EXIT_NORMAL]: 'closing',
          [LIFETIME_ENDED]: 'closing',
          [OVERFLOW]: 'closing',
          [SINK_CLOSED]: 'closed',
        },
      },
      closing: {
        entry: 'drainAndEnd',
        always: { guard: 'sinkClosed', target: 'closed' },
        on: { [SINK_CLOSED]: 'closed' },
      },
      closed: {
        type: 'final',
      },
    },
  },
  connectionImplementations,
);
