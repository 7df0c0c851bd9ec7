import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { sse, type SseSystem } from '../../src/index.ts';

/** One parsed `text/event-stream` block (our encoder writes LF line endings only). */
export interface Frame {
  comments: string[];
  id?: string;
  event?: string;
  retry?: number;
  data: string[];
}

/** Parses complete blocks (ending in a blank line) of an LF-only event stream. */
export function parseFrames(text: string): Frame[] {
  const frames: Frame[] = [];
  const blocks = text.split('\n\n');
  blocks.pop(); // incomplete tail (or '' after the last blank line)
  for (const block of blocks) {
    const frame: Frame = { comments: [], data: [] };
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === '') frame.comments.push(value);
      else if (field === 'data') frame.data.push(value);
      else if (field === 'id') frame.id = value;
      else if (field === 'event') frame.event = value;
      else if (field === 'retry') frame.retry = Number(value);
    }
    frames.push(frame);
  }
  return frames;
}

/** A raw HTTP event-stream client that keeps every byte it received. */
export class SseClient {
  raw = '';
  ended = false;
  private waiters = new Set<() => void>();
  private constructor(
    readonly res: http.IncomingMessage,
    private readonly req: http.ClientRequest,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.raw += chunk;
      this.wake();
    });
    const finish = () => {
      this.ended = true;
      this.wake();
    };
    res.on('end', finish);
    res.on('close', finish);
    res.on('error', finish);
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => resolve(new SseClient(res, req)));
      req.on('error', reject);
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  get frames(): Frame[] {
    return parseFrames(this.raw);
  }

  /** Frames that carry data (events), without keep-alive or other comment-only blocks. */
  get events(): Frame[] {
    return this.frames.filter((f) => f.data.length > 0);
  }

  /** Resolves once `predicate` holds (checked on every received chunk); rejects after `timeoutMs`. */
  until(predicate: (client: SseClient) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this)) {
          cleanup();
          resolve();
        } else if (this.ended) {
          cleanup();
          reject(new Error(`stream ended before ${what}; received ${JSON.stringify(this.raw.slice(-500))}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(this.raw.slice(-500))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits until at least `n` data frames arrived. */
  untilEvents(n: number, timeoutMs?: number): Promise<void> {
    return this.until((c) => c.events.length >= n, timeoutMs, `${n} events`);
  }

  untilEnded(timeoutMs?: number): Promise<void> {
    return this.until((c) => c.ended, timeoutMs, 'end of stream');
  }

  close(): void {
    this.req.destroy();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Polls `predicate` on the event loop (no fixed sleep) until it holds or the deadline passes. */
export async function eventually(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2)); // a poll interval, not a sleep: the deadline bounds it
  }
}

export interface TestServer {
  url: string;
  server: http.Server;
  app: Koa;
  close(): Promise<void>;
}

/**
 * Real Koa on 127.0.0.1:0 with `sse(system)` and a route `/stream?topics=a,b` that streams with an
 * optional initial chunk (`?initial=text`) and a CORS header set before `ctx.sse`.
 */
export async function startServer(system: SseSystem, configure?: (app: Koa) => void): Promise<TestServer> {
  const app = new Koa();
  app.silent = true;
  app.use(sse(system));
  configure?.(app);
  app.use((ctx) => {
    if (ctx.path !== '/stream') {
      ctx.status = 404;
      return;
    }
    ctx.set('Access-Control-Allow-Origin', '*');
    const topics = String(ctx.query.topics ?? '').split(',');
    const initial = ctx.query.initial;
    ctx.sse(topics, typeof initial === 'string' ? { data: initial } : undefined);
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    app,
    close: async () => {
      await system.stop({ timeoutMs: 1000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A plain GET that reads the whole answer (for requests that are refused rather than streamed). */
export function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}
