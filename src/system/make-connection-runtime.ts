import { keepAliveFrame, resetFrame, retryFrame } from '../protocol/control.ts';
import { KeepAliveScheduler } from '../runtime/keep-alive.ts';
import { Flusher } from '../runtime/flusher.ts';
import { framesAfter } from '../actors/history.ts';
import type { ConnectionRuntime, ReleasedStream } from '../actors/connection-runtime.ts';
import type { Stats } from '../runtime/stats.ts';
import type { Deadlines } from '../runtime/deadlines.ts';
import type { SupervisionTree } from '../actors/tree.ts';
import type { ResolvedOptions } from './defaults.ts';

/** What the runtime's connections report to their system. */
export interface RuntimeParts {
  readonly tree: SupervisionTree;
  readonly deadlines: Deadlines;
  readonly stats: Stats;
  /** The base of the jittered `retry:` hint written when the server ends a stream. */
  readonly closeRetryMs: number;
  /** A stream's topics with its patterns expanded to the live names they match now. */
  expand(topics: readonly string[]): readonly string[];
  released(stream: ReleasedStream): void;
  closed(stream: ReleasedStream): void;
}

/** What the connections of one system share: its timers, coalescer, services, policy and control frames. */
export function makeConnectionRuntime(options: ResolvedOptions, parts: RuntimeParts): ConnectionRuntime {
  const { clock, keepAlive, history, maxLifetimeMs, lifetimeJitterMs } = options;
  const { tree, stats, closeRetryMs } = parts;
  // One wall-clock reading at start; every later time comes from the injected clock.
  const origin = Date.now() - clock.now();
  return {
    clock,
    epoch: () => Math.floor(origin + clock.now()),
    keepAlive: new KeepAliveScheduler(clock, keepAlive),
    flusher: new Flusher(),
    deadlines: parts.deadlines,
    registry: tree,
    history: {
      framesAfter: (topics, lastId) => {
        const h = tree.history();
        const frames = h && framesAfter(h.context, parts.expand(topics), lastId);
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
    stats,
    released: parts.released,
    closed: parts.closed,
  };
}
