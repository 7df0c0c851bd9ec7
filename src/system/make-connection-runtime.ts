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
  /**
   * The spread of that hint while the system stops (`busyRetry`), when it is wider: a deploy ends
   * every stream at once, and they must not all come back within the same second.
   */
  readonly stopRetry: { readonly baseMs: number; readonly jitterMs: number };
  /** True once `stop()` was called. */
  stopping(): boolean;
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
      // Between retry and twice that, so clients ended together do not all come back together;
      // while stopping, spread as wide as a busy answer (the next process takes them all).
      closeHint: () => {
        const { baseMs, jitterMs } = parts.stopping() && parts.stopRetry.baseMs + parts.stopRetry.jitterMs > 2 * closeRetryMs ? parts.stopRetry : { baseMs: closeRetryMs, jitterMs: closeRetryMs };
        return retryFrame(baseMs + Math.floor(Math.random() * (jitterMs + 1)));
      },
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
