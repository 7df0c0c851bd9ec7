import type Koa from 'koa';
import { SseClient, parseFrames } from './sse-client.ts';

/** The request header that ties a test session to the connection id `ctx.sse` returned for it. */
export const SESSION_HEADER = 'x-test-session';

/** What the server did for one tracked `/stream` request. */
export interface TrackedStream {
  /** The connection id `ctx.sse` resolved to (`null` until then, and for HEAD or a refused stream). */
  connectionId: string | null;
  /** The value of `stamp()` right after `ctx.sse` returned (e.g. how many events were notified by then). */
  stamp: number;
}

/** A request header whose value is passed to `around` right before and right after `ctx.sse` runs. */
export const AROUND_HEADER = 'x-test-around';

export interface TrackOptions {
  /** Recorded right after `ctx.sse` returned (e.g. how many events were notified by then). */
  stamp?: () => number;
  /**
   * Called synchronously right before and right after `ctx.sse` for a request carrying
   * {@link AROUND_HEADER} (e.g. to notify at the edges of the replay + subscribe step).
   */
  around?: (value: string, phase: 'before' | 'after') => void;
}

/**
 * For startServer's `configure` callback (it runs after `sse(system)` and before the route): wraps
 * `ctx.sse` so that the connection id of every request carrying {@link SESSION_HEADER} is recorded.
 */
export function trackStreams(app: Koa, streams: Map<string, TrackedStream>, options: TrackOptions = {}): void {
  app.use(async (ctx, next) => {
    const key = ctx.get(SESSION_HEADER);
    if (key !== '') {
      const around = ctx.get(AROUND_HEADER);
      const open = ctx.sse;
      ctx.sse = (topics, initial) => {
        if (around !== '') options.around?.(around, 'before');
        // Without an `authorize` hook the stream opens synchronously; the id comes as a promise.
        const opened = open(topics, initial);
        const tracked: TrackedStream = { connectionId: null, stamp: options.stamp?.() ?? 0 };
        if (around !== '') options.around?.(around, 'after');
        streams.set(key, tracked);
        void opened.then((connectionId) => (tracked.connectionId = connectionId));
        return opened;
      };
    }
    await next();
  });
}

/** One complete data-carrying block of the stream. */
export interface ReceivedFrame {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

let sessions = 0;

/**
 * One HTTP event-stream session (over {@link SseClient}) that parses incrementally, so long streams
 * cost O(bytes), and freezes on `close()`: what it holds then is what the client processed.
 */
export class Session {
  /** Data frames (events, the initial chunk, resets) in arrival order; comment/retry-only blocks are left out. */
  readonly frames: ReceivedFrame[] = [];
  /** Wire ids of the data frames that carry one, in arrival order. */
  readonly ids: string[] = [];
  closed = false;
  ended = false;
  private tail = '';
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly key: string,
    readonly client: SseClient,
  ) {
    // Everything the client buffered before this point is in `raw`; from here on, listen. Both in
    // one synchronous step, so no chunk is missed or seen twice.
    this.feed(client.raw);
    this.ended = client.ended; // a short response may have ended already
    client.res.on('data', (chunk: string) => this.feed(chunk));
    const finish = () => {
      this.ended = true;
      this.wake();
    };
    client.res.on('end', finish);
    client.res.on('close', finish);
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<Session> {
    sessions += 1;
    const key = `s${sessions}`;
    const client = await SseClient.connect(url, { ...headers, [SESSION_HEADER]: key });
    if (client.status !== 200) throw new Error(`GET ${url} answered ${client.status}`);
    return new Session(key, client);
  }

  /** The last wire id received, if any. */
  get lastId(): string | undefined {
    return this.ids[this.ids.length - 1];
  }

  /** Stops reading: frames received from now on are ignored (as by a client that went away). */
  close(): void {
    this.closed = true;
    this.client.close();
    this.wake();
  }

  /** Resolves once `predicate` holds (checked on every parsed chunk); rejects after `timeoutMs` or if the stream ends first. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate()) {
          cleanup();
          resolve();
        } else if (this.ended || this.closed) {
          cleanup();
          reject(new Error(`session ${this.key} ${this.closed ? 'closed' : 'ended'} before ${what}; last ids ${JSON.stringify(this.ids.slice(-5))}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`session ${this.key}: timed out after ${timeoutMs} ms waiting for ${what}; ${this.ids.length} ids, last ${JSON.stringify(this.ids.slice(-5))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check(); // it may have ended already
    });
  }

  private feed(chunk: string): void {
    if (this.closed) return;
    const text = this.tail + chunk;
    const cut = text.lastIndexOf('\n\n');
    if (cut === -1) {
      this.tail = text;
      return;
    }
    this.tail = text.slice(cut + 2);
    for (const frame of parseFrames(text.slice(0, cut + 2))) {
      if (frame.data.length === 0) continue;
      this.frames.push({ id: frame.id, event: frame.event, data: frame.data.join('\n') });
      if (frame.id !== undefined) this.ids.push(frame.id);
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** A deadline for a promise: rejects with `what` if it does not settle within `timeoutMs`. */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Small deterministic PRNG (mulberry32) for reproducible load patterns. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
