/**
 * Real-browser tests of `sse-actors/client`: a page that imports the client bundle (built from
 * src/client/ by the same esbuild call as dist/client.js) and records, per page, everything its
 * EventStream dispatches. The log lives in sessionStorage, so it survives a reload of the page.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';
import Koa from 'koa';
import type { Page } from 'playwright-core';
import { bundleClient } from '../../scripts/client-bundle.ts';
import { createSystem, sse, type Authorize, type SseSystem, type SystemOptions } from '../../src/index.ts';
import { WAIT } from './chromium.ts';

/** Where the pages load the client from (as the demo serves it). */
export const CLIENT_PATH = '/sse-actors-client.js';

let bundle: Promise<string> | undefined;
/** The client bundle, built once per test file. */
export const clientBundle = (): Promise<string> => (bundle ??= bundleClient());

/** What a page saw, in order. Messages are `type:lastEventId:data`. */
export interface PageLog {
  messages: string[];
  errors: Array<{ status: number | null; retryMs: number | null; readyState: number; state: string }>;
  notices: string[];
  states: string[];
}

/** The page's view of its stream (the tests' tsconfig has no DOM lib: page functions cast `globalThis`). */
export interface ClientGlobals {
  stream: { readyState: number; state: string; leader: boolean; lastEventId: string | undefined; close(): void } | undefined;
  openStream(url: string, init: Record<string, unknown>, types: string[]): void;
  pageLog(): PageLog;
}

/** The page: defines `openStream`, which records into sessionStorage under `log`. */
export const CLIENT_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>sse-actors client test</title>
<p id="rate">…</p>
<script type="module">
  import { EventStream } from '${CLIENT_PATH}';
  window.EventStream = EventStream;
  const read = () => JSON.parse(sessionStorage.getItem('log') ?? '{"messages":[],"errors":[],"notices":[],"states":[]}');
  const note = (key, value) => {
    const log = read();
    log[key].push(value);
    sessionStorage.setItem('log', JSON.stringify(log));
  };
  window.pageLog = read;
  window.openStream = (url, init, types) => {
    const stream = (window.stream = new EventStream(url, init));
    const message = (e) => note('messages', e.type + ':' + e.lastEventId + ':' + e.data);
    stream.onmessage = message;
    for (const type of types) stream.addEventListener(type, message);
    stream.onerror = (e) => note('errors', { status: e.status ?? null, retryMs: e.retryMs ?? null, readyState: stream.readyState, state: stream.state });
    stream.addEventListener('busy', (e) => note('notices', 'busy:' + e.detail.reason));
    stream.addEventListener('reset', (e) => note('notices', 'reset:' + e.detail.reason));
    stream.addEventListener('statechange', () => note('states', stream.state));
  };
  window.ready = true;
</script>
`;

/** Opens `new EventStream(url, init)` in the page (after its module script ran). */
export async function openStream(page: Page, url: string, init: Record<string, unknown> = {}, types: string[] = []): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true, undefined, WAIT);
  await page.evaluate(([u, i, ty]) => (globalThis as unknown as ClientGlobals).openStream(u, i, ty), [url, init, types] as const);
}

export const pageLog = (page: Page): Promise<PageLog> => page.evaluate(() => (globalThis as unknown as ClientGlobals).pageLog());

/** Waits in the page until it has dispatched `count` messages. */
export async function waitForMessages(page: Page, count: number, timeout = WAIT.timeout): Promise<void> {
  await page.waitForFunction((c) => (globalThis as unknown as ClientGlobals).pageLog().messages.length >= c, count, { timeout });
}

/** Waits in the page until its stream is in `state`. */
export async function waitForState(page: Page, state: string, timeout = WAIT.timeout): Promise<void> {
  await page.waitForFunction((s) => (globalThis as unknown as ClientGlobals).stream?.state === s, state, { timeout });
}

/** The page's stream as it is now. */
export const streamOf = (page: Page) =>
  page.evaluate(() => {
    const stream = (globalThis as unknown as ClientGlobals).stream;
    return { readyState: stream?.readyState, state: stream?.state, leader: stream?.leader, lastEventId: stream?.lastEventId };
  });

/** One request for `/stream`, as the server got it. */
export interface StreamRequest {
  lastEventId: string | null;
  /** `lastEventId` from the query (what the native transport sends on its first connect). */
  query: string | null;
  authorization: string | null;
  cookie: string | null;
}

export interface ClientServer {
  system: SseSystem;
  server: http.Server;
  origin: string;
  port: number;
  requests: StreamRequest[];
}

/** Serves the page at `/`, the client at CLIENT_PATH, and `/stream?topics=…` through `ctx.sse` (`initial` first). */
export function clientApp(system: SseSystem, requests: StreamRequest[], options: { authorize?: Authorize; initial?: string; cors?: string } = {}): Koa {
  const app = new Koa();
  app.use(sse(system, options.authorize ? { authorize: options.authorize } : {}));
  app.use(async (ctx) => {
    if (ctx.path === CLIENT_PATH) {
      ctx.type = 'text/javascript';
      ctx.body = await clientBundle();
    } else if (ctx.path === '/') {
      ctx.type = 'html';
      ctx.body = CLIENT_PAGE;
    } else if (ctx.path === '/stream') {
      if (options.cors) ctx.set({ 'Access-Control-Allow-Origin': options.cors, 'Access-Control-Allow-Credentials': 'true' });
      requests.push({ lastEventId: ctx.get('last-event-id') || null, query: (ctx.query.lastEventId as string | undefined) ?? null, authorization: ctx.get('authorization') || null, cookie: ctx.get('cookie') || null });
      const topics = String(ctx.query.topics ?? 'prices').split(',');
      return ctx.sse(topics, options.initial === undefined ? undefined : { data: options.initial });
    }
  });
  return app;
}

/** A system (topics `prices`, `news`; history on; `system` added) and {@link clientApp} on 127.0.0.1:0, stopped at teardown. */
export async function startClientServer(t: ExecutionContext, options: { authorize?: Authorize; initial?: string; cors?: string; system?: Partial<SystemOptions> } = {}): Promise<ClientServer> {
  const system = createSystem({ topics: ['prices', 'news'], keepAlive: 0, history: { size: 1000, ttlMs: 60_000 }, ...options.system });
  const requests: StreamRequest[] = [];
  const server = http.createServer(clientApp(system, requests, options).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { system, server, origin: `http://127.0.0.1:${port}`, port, requests };
}
