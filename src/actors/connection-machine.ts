import { flatMachine, type FlatArgs } from './flat-machine.ts';
import { ActorKilledError, EXIT_NORMAL, KILL, type ExitSignal } from './signals.ts';
import type { ConnectionHandle } from './connection.ts';

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

/** Connection states, as the inspector and `snapshot()` show them. */
export type ConnectionState = 'open' | 'streaming' | 'blocked' | 'closing' | 'closed';

type Args = FlatArgs<{ handle: ConnectionHandle }, ConnectionEvent>;

/**
 * The connection machine: open → streaming ⇄ blocked → closing → closed. The server ends a stream
 * (`closing`) on `system.stop()`, at its lifetime, or when its mailbox overflows under `close`. A
 * pure definition in xstate's config format; its actions call into the handle, which owns the
 * resources, so the exit path releases all of them. It runs on the flat statechart interpreter
 * (`flat-machine.ts`): one is started and stopped per request.
 */
export const connectionMachine = flatMachine<{ handle: ConnectionHandle }, ConnectionState, ConnectionEvent, ConnectionHandle>(
  {
    id: 'connection',
    context: ({ input }) => ({ handle: input }),
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
        entry: ['unsubscribe', 'release'],
      },
    },
  },
  {
    actions: {
      acquire: ({ context }: Args) => context.handle.acquire(),
      subscribe: ({ context }: Args) => context.handle.subscribe(),
      startStreaming: ({ context }: Args) => context.handle.startStreaming(),
      stopStreaming: ({ context }: Args) => context.handle.stopStreaming(),
      drainAndEnd: ({ context }: Args) => context.handle.drainAndEnd(),
      unsubscribe: ({ context }: Args) => context.handle.unsubscribe(),
      release: ({ context }: Args) => context.handle.release(),
      // Fails the actor as a fault would: the partition restarts it on the same socket.
      crash: ({ context }: Args) => {
        throw new ActorKilledError(context.handle.id);
      },
    },
    guards: {
      sinkClosed: ({ context }: Args) => context.handle.sink.closed,
      ending: ({ context }: Args) => context.handle.isEnding,
    },
  },
);
