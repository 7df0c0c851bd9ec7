import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { sse, type Authorize, type SseSystem } from '../../src/index.ts';

/**
 * A client that writes raw request bytes (what an HTTP library refuses to send) and keeps every
 * byte of the answer. Only loopback.
 */
export class RawClient {
  data = Buffer.alloc(0);
  closed = false;
  readonly socket: net.Socket;
  private waiters = new Set<() => void>();

  constructor(port: number, request: string | Buffer) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake();
    });
    this.socket.on('error', () => undefined); // a reset is an outcome, read from `closed`
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.write(request);
  }

  get text(): string {
    return this.data.toString('utf8');
  }

  /** The status code of the answer (0 before the status line arrived). */
  get status(): number {
    return Number(/^HTTP\/1\.[01] (\d{3})/.exec(this.text)?.[1] ?? 0);
  }

  /** The response head, lower-cased names (every occurrence, in order). */
  get headers(): Array<[string, string]> {
    const end = this.text.indexOf('\r\n\r\n');
    if (end === -1) return [];
    return this.text
      .slice(0, end)
      .split('\r\n')
      .slice(1)
      .map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
      });
  }

  header(name: string): string | undefined {
    return this.headers.find(([n]) => n === name)?.[1];
  }

  /** The bytes after the response head (chunked framing included, as sent). */
  get body(): string {
    const end = this.text.indexOf('\r\n\r\n');
    return end === -1 ? '' : this.text.slice(end + 4);
  }

  /** Resolves once `predicate` holds (checked on every received chunk and on close); rejects after `timeoutMs`. */
  until(predicate: (client: RawClient) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(this.text.slice(-400))}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  untilClosed(timeoutMs?: number): Promise<void> {
    return this.until((c) => c.closed, timeoutMs, 'the socket to close');
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export interface Served {
  port: number;
  server: http.Server;
  /** `system.stop()`, then `server.close()`: both must complete (nothing left open by the system). */
  close(): Promise<void>;
}

async function listen(server: http.Server, system: SseSystem): Promise<Served> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: async () => {
      await system.stop({ timeoutMs: 1000 });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The README's plain `node:http` shape: every request streams `topics`. */
export function plainServer(system: SseSystem, options: { topics?: unknown } = {}): Promise<Served> {
  const topics = ('topics' in options ? options.topics : 'a') as string;
  return listen(
    http.createServer((req, res) => {
      try {
        system.stream(req, res, topics);
      } catch (error) {
        const status = (error as { status?: number }).status ?? 500;
        const body = (error as Error).message;
        res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) }).end(body);
      }
    }),
    system,
  );
}

/**
 * Koa with `sse(system, { authorize })` on `/events?topics=a,b`; every `ctx.sse` promise's outcome
 * is recorded (it must never reject). Koa's default error listener stays on (silent) unless `errors` is asked for.
 */
export async function koaServer(system: SseSystem, options: { authorize?: Authorize; listenErrors?: boolean } = {}) {
  const app = new Koa();
  app.silent = true;
  const errors: unknown[] = [];
  if (options.listenErrors) app.on('error', (error) => errors.push(error));
  const outcomes: Array<{ resolved?: string | null; rejected?: unknown }> = [];
  app.use(sse(system, options.authorize ? { authorize: options.authorize } : {}));
  app.use((ctx) => {
    const raw = ctx.query.topics;
    const topics = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : ['a'];
    // Not awaited, as the README allows: a rejection here would be unhandled.
    void ctx.sse(topics).then(
      (resolved) => outcomes.push({ resolved }),
      (rejected: unknown) => outcomes.push({ rejected }),
    );
  });
  const served = await listen(http.createServer(app.callback()), system);
  return { ...served, app, errors, outcomes };
}

/** Counts unhandled rejections and uncaught exceptions while a test runs. */
export function watchProcess(): { seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  const onException = (error: unknown) => seen.push(error);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen,
    stop: () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}
