/**
 * A page for real-browser tests that opens any number of named EventSources and records, for each,
 * every open, error and message with the page's own `performance.now()`. Served by its own plain
 * `node:http` server, so streams from another port are cross-origin.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { WAIT } from './chromium.ts';

/** One thing an EventSource did, as the page saw it. */
export interface Happening {
  kind: 'open' | 'error' | 'message';
  /** `performance.now()` in the page when the handler ran. */
  at: number;
  /** `readyState` right after: 0 connecting, 1 open, 2 closed. */
  readyState: number;
  data?: string;
  lastEventId?: string;
}

/** The globals the page defines (the tests' tsconfig has no DOM lib, so page functions cast `globalThis`). */
interface EventPageGlobals {
  log: Record<string, Happening[]>;
  sources: Record<string, { readyState: number; close(): void }>;
  openStream(name: string, url: string, withCredentials: boolean): void;
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>sse-actors conformance</title>
<script>
  window.log = {};
  window.sources = {};
  window.openStream = (name, url, withCredentials) => {
    const es = new EventSource(url, { withCredentials });
    const log = (window.log[name] = []);
    window.sources[name] = es;
    const note = (kind) => (e) =>
      log.push({ kind, at: performance.now(), readyState: es.readyState, data: e.data, lastEventId: e.lastEventId });
    es.onopen = note('open');
    es.onerror = note('error');
    es.onmessage = note('message');
  };
</script>
`;

export interface PageServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves the page at `/` on 127.0.0.1:0. */
export async function startPageServer(): Promise<PageServer> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens `new EventSource(url, { withCredentials })` in the page under `name`. */
export const openSource = (page: Page, name: string, url: string, withCredentials = false): Promise<void> =>
  page.evaluate(([n, u, w]) => (globalThis as unknown as EventPageGlobals).openStream(n, u, w), [name, url, withCredentials] as const);

/** What the EventSource `name` did so far. */
export const happenings = (page: Page, name: string): Promise<Happening[]> => page.evaluate((n) => (globalThis as unknown as EventPageGlobals).log[n] ?? [], name);

/** The messages of `name` as `lastEventId:data` (compact and exact). */
export async function messages(page: Page, name: string): Promise<string[]> {
  return (await happenings(page, name)).filter((h) => h.kind === 'message').map((h) => `${h.lastEventId}:${h.data}`);
}

/** Waits in the page until `name` has at least `count` happenings of `kind`. */
export async function waitFor(page: Page, name: string, kind: Happening['kind'], count = 1): Promise<void> {
  await page.waitForFunction(
    ([n, k, c]) => ((globalThis as unknown as EventPageGlobals).log[n] ?? []).filter((h) => h.kind === k).length >= c,
    [name, kind, count] as const,
    WAIT,
  );
}

/** Waits in the page until the EventSource `name` has `readyState === state`. */
export async function waitForState(page: Page, name: string, state: number): Promise<void> {
  await page.waitForFunction(([n, s]) => (globalThis as unknown as EventPageGlobals).sources[n]?.readyState === s, [name, state] as const, WAIT);
}

export const closeSource = (page: Page, name: string): Promise<void> => page.evaluate((n) => (globalThis as unknown as EventPageGlobals).sources[n]?.close(), name);

/** How many of the page's EventSources are OPEN right now. */
export const openCount = (page: Page): Promise<number> =>
  page.evaluate(() => Object.values((globalThis as unknown as EventPageGlobals).sources).filter((s) => s.readyState === 1).length);

/** Waits in the page until exactly `count` of its EventSources are OPEN. */
export async function waitForOpenCount(page: Page, count: number): Promise<void> {
  await page.waitForFunction((c) => Object.values((globalThis as unknown as EventPageGlobals).sources).filter((s) => s.readyState === 1).length === c, count, WAIT);
}
