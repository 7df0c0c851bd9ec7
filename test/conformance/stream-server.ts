/**
 * The stream side of the cross-origin browser tests: Koa + sse(system) on its own port, recording
 * every request (method, Origin, Cookie, Last-Event-ID, arrival time, socket) before answering.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Koa from 'koa';
import { sse, type SseSystem } from '../../src/index.ts';

export const TOPICS = ['t'];

export interface StreamRequest {
  method: string;
  path: string;
  url: string;
  origin: string | undefined;
  cookie: string | undefined;
  lastEventId: string | undefined;
  /** `performance.now()` when the request reached the route. */
  at: number;
  socket: Socket;
}

export interface StreamServer {
  origin: string;
  port: number;
  requests: StreamRequest[];
  close(): Promise<void>;
}

/**
 * Koa + sse(system) on 127.0.0.1:`port`. Routes: `/star` (CORS `*`), `/credentials` (the page's exact
 * origin and `Access-Control-Allow-Credentials: true`), `/none` (no CORS header), `/gone` (streams
 * once per URL, then answers `?status`, 204 by default). `?retry=N` puts `retry: N` in the initial chunk.
 */
export async function startStreamServer(system: SseSystem, pageOrigin: string, port = 0): Promise<StreamServer> {
  const requests: StreamRequest[] = [];
  const app = new Koa();
  app.silent = true;
  app.use(sse(system));
  app.use((ctx) => {
    const header = (name: string) => ctx.get(name) || undefined;
    requests.push({ method: ctx.method, path: ctx.path, url: ctx.url, origin: header('Origin'), cookie: header('Cookie'), lastEventId: header('Last-Event-ID'), at: performance.now(), socket: ctx.req.socket });
    const retry = ctx.query.retry === undefined ? {} : { retry: Number(ctx.query.retry) };
    if (ctx.path === '/star') ctx.set('Access-Control-Allow-Origin', '*');
    else if (ctx.path === '/credentials') {
      ctx.set('Access-Control-Allow-Origin', pageOrigin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Vary', 'Origin');
    } else if (ctx.path === '/gone') {
      ctx.set('Access-Control-Allow-Origin', '*');
      // The first request with this URL streams; the browser's reconnection gets `?status` (204 by default).
      if (requests.filter((r) => r.url === ctx.url).length > 1) {
        ctx.status = Number(ctx.query.status ?? 204);
        if (ctx.status !== 204) ctx.body = 'gone';
        return;
      }
    } else if (ctx.path !== '/none') {
      ctx.status = 404;
      return;
    }
    void ctx.sse(TOPICS, { data: 'hello', ...retry });
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    close: async () => {
      await system.stop({ timeoutMs: 1000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
