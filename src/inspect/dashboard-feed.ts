import { createSystem, type SseSystem } from '../adapters/create-system.ts';
import type { Chunk } from '../protocol/chunk.ts';
import { dashboardView, type DashboardView } from './dashboard-view.ts';

/**
 * The one topic of a dashboard's own system: what `authorize` is asked about.
 * @example
 * ```ts
 * const authorize: Authorize = (ctx, topics) => (topics.includes(DASHBOARD_TOPIC) ? ctx.get('X-Admin-Token') === process.env.ADMIN_TOKEN : true);
 * app.use(dashboard(system, { authorize }));
 * app.use(sse(system, { authorize }));
 * ```
 */
export const DASHBOARD_TOPIC = 'sse-actors.dashboard';
/**
 * The SSE event type of every message of the feed (the page listens to it).
 * @example
 * ```ts
 * const source = new EventSource('/_sse/events'); // in a page of your own
 * source.addEventListener(DASHBOARD_EVENT, ({ data }) => console.log(JSON.parse(data)));
 * ```
 */
export const DASHBOARD_EVENT = 'snapshot';

export interface FeedOptions {
  intervalMs: number;
  rows: number;
}

/**
 * The dashboard's live feed, served by a small system of its own (one topic, no replay). It exists
 * only while someone watches: the first viewer creates it and starts the timer; a tick that finds
 * no viewer left stops both. Each tick takes ONE snapshot of the watched system and notifies it to
 * every viewer. When the watched system stops, the feed sends its last view and ends.
 */
export class DashboardFeed {
  private internal: SseSystem | undefined;
  private timer: NodeJS.Timeout | undefined;
  private latest: DashboardView | undefined;
  private seq = 0;

  constructor(
    private readonly system: SseSystem<void | Promise<void>>,
    private readonly options: FeedOptions,
  ) {}

  /** False once the watched system stopped: no new viewer is taken. */
  get available(): boolean {
    return !this.system.stopped;
  }

  /** The system to open a viewer's stream on, started (with its timer) if nobody watched yet. */
  viewers(): SseSystem {
    if (!this.internal) {
      // No keep-alive of its own: every tick writes. No history: each message is a whole view.
      this.internal = createSystem({ topics: [DASHBOARD_TOPIC], keepAlive: 0, history: { size: 0, ttlMs: 0 }, partitions: 1, maxConnections: 1000 });
      this.timer = setInterval(() => this.tick(), this.options.intervalMs);
      this.timer.unref();
    }
    return this.internal;
  }

  /** The first message of a new viewer's stream: the latest view, taken now if older than one interval. */
  initial(): Chunk {
    const fresh = this.latest !== undefined && Date.now() - this.latest.at < this.options.intervalMs;
    const view = fresh ? (this.latest as DashboardView) : this.take();
    return { event: DASHBOARD_EVENT, data: JSON.stringify(view) };
  }

  private take(): DashboardView {
    this.latest = dashboardView(this.system.snapshot(), Date.now(), this.options.rows);
    return this.latest;
  }

  private tick(): void {
    const internal = this.internal;
    if (!internal) return;
    if (internal.snapshot().connections.length === 0) return void this.close();
    const view = this.take();
    this.seq += 1;
    internal.notify({ id: this.seq, topic: DASHBOARD_TOPIC, data: { event: DASHBOARD_EVENT, data: JSON.stringify(view) } });
    if (view.status !== 'running') void this.close();
  }

  /** Stops the timer and the feed's system (ending every viewer's stream, after what was sent). */
  close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const internal = this.internal;
    this.internal = undefined;
    return internal ? internal.stop({ timeoutMs: 1000 }) : Promise.resolve();
  }
}
