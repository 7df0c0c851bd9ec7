import { keepAliveFrame, resetFrame, retryFrame } from './protocol/control.ts';
import { KeepAliveScheduler } from './actors/keep-alive.ts';
import { Flusher } from './actors/flusher.ts';
import { framesAfter } from './actors/history.ts';
import type { Connection, ConnectionRuntime, ConnectionCounters } from './actors/connection.ts';
import type { Deadlines } from './actors/deadlines.ts';
import type { SupervisionTree } from './actors/tree.ts';
import type { ResolvedOptions } from './options.ts';
import type { EventStats } from './api.ts';

/** What the runtime's connections report to their system. */
export interface RuntimeParts {
  readonly tree: SupervisionTree;
  readonly deadlines: Deadlines;
  readonly counters: ConnectionCounters;
  readonly stats: EventStats;
  /** The base of the jittered `retry:` hint written when the server ends a stream. */
  readonly closeRetryMs: number;
  released(connection: Connection): void;
  closed(connection: Connection): void;
}

/** What the connections of one system share: its timers, coalescer, services, policy and control frames. */
export function createRuntime(options: ResolvedOptions, parts: RuntimeParts): ConnectionRuntime {
  const { clock, keepAlive, history, maxLifetimeMs, lifetimeJitterMs } = options;
  const { tree, stats, closeRetryMs } = parts;
  return {
    clock,
    keepAlive: new KeepAliveScheduler<Connection>(clock, keepAlive),
    flusher: new Flusher<Connection>(),
    deadlines: parts.deadlines,
    registry: tree,
    history: {
      framesAfter: (topics, lastId) => {
        const h = tree.history();
        const frames = h && framesAfter(h.context, topics, lastId);
        return typeof frames === 'string' ? undefined : frames;
      },
    },
    policy: {
      mailbox: options.mailbox,
      ttlMs: history.ttlMs,
      closeTimeoutMs: options.closeTimeoutMs,
      lifetimeMs: () => (maxLifetimeMs === 0 ? 0 : maxLifetimeMs - Math.floor(Math.random() * (lifetimeJitterMs + 1))),
    },
    frames: {
      keepAlive: keepAliveFrame(),
      // Between retry and twice that, so clients ended together do not all come back together.
      closeHint: () => retryFrame(closeRetryMs + Math.floor(Math.random() * (closeRetryMs + 1))),
      expired: (lastEventId) => {
        stats.resets['aged-out'] += 1;
        return resetFrame('aged-out', lastEventId);
      },
    },
    counters: parts.counters,
    stats,
    released: parts.released,
    closed: parts.closed,
  };
}
