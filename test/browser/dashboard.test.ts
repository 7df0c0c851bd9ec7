/**
 * The dashboard in real headless Chromium (Debian's chromium at /usr/bin/chromium, driven by
 * playwright-core over CDP). Every wait is a condition with a deadline: `page.waitForFunction` on
 * the page, `eventually` on the server.
 */
import { existsSync } from 'node:fs';
import test from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createSystem, dashboard } from '../../src/index.ts';
import { SseClient, startServer, eventually, get } from '../helpers/sse-client.ts';

const CHROMIUM = '/usr/bin/chromium';
const WAIT = { timeout: 15_000 };
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let browser: Browser;

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

test.after.always(async () => {
  await browser?.close();
});

/** The connection table as the page shows it: id → state and restart count. */
function rows(page: Page): Promise<Record<string, { state: string; restarts: string }>> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ dataset: { id: string }; querySelector(s: string): { textContent: string } }> } }).document;
    const out: Record<string, { state: string; restarts: string }> = {};
    for (const tr of doc.querySelectorAll('#connections tr')) {
      out[tr.dataset.id] = { state: tr.querySelector('.state').textContent, restarts: tr.querySelector('.restarts').textContent };
    }
    return out;
  });
}

/** Waits until the page's connection table lists exactly `expected` (in the page, on each redraw's rows). */
function waitForRows(page: Page, expected: Record<string, { state: string; restarts: string }>): Promise<unknown> {
  return page.waitForFunction(
    (want) => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ dataset: { id: string }; querySelector(s: string): { textContent: string } }> } }).document;
      const got: Record<string, { state: string; restarts: string }> = {};
      for (const tr of doc.querySelectorAll('#connections tr')) got[tr.dataset.id] = { state: tr.querySelector('.state').textContent, restarts: tr.querySelector('.restarts').textContent };
      // Unusual connections (restarted, queued, not streaming) are listed first: compare by id.
      // (No named local functions here: tsx's keepNames would call a `__name` the page lacks.)
      return JSON.stringify(Object.keys(got).sort().map((id) => [id, got[id]])) === JSON.stringify(Object.keys(want).sort().map((id) => [id, want[id]]));
    },
    expected,
    WAIT,
  );
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

test.serial('the page shows connections live: 3 stream, one is killed and restarted, one leaves', async (t) => {
  const system = createSystem({ topics: ['prices', 'news'], keepAlive: 0, partitions: 2 });
  const srv = await startServer(system, (app) => app.use(dashboard(system, { intervalMs: 50 })));
  t.teardown(srv.close);
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  const response = await page.goto(`${srv.url}/_sse`);
  t.is(response?.status(), 200);
  t.is(response?.headers()['content-type'], 'text/html; charset=utf-8');
  await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('feed').textContent === 'live', undefined, WAIT);
  await waitForRows(page, {});

  const clients = [
    await SseClient.connect(`${srv.url}/stream?topics=prices`),
    await SseClient.connect(`${srv.url}/stream?topics=prices,news`),
    await SseClient.connect(`${srv.url}/stream?topics=news`),
  ];
  t.teardown(() => clients.forEach((client) => client.close()));
  await eventually(() => system.snapshot().connections.filter((c) => c.state === 'streaming').length === 3, 5000, '3 streaming connections');
  const ids = system.snapshot().connections.map((c) => c.id).sort();
  t.deepEqual(ids, ['c0', 'c1', 'c2']);
  await waitForRows(page, { c0: { state: 'streaming', restarts: '0' }, c1: { state: 'streaming', restarts: '0' }, c2: { state: 'streaming', restarts: '0' } });
  t.is(await text(page, '#shown'), '3 of 3 · by state: streaming 3');
  t.is(await text(page, '[data-actor="partition-0"]'), 'partition-0 running · restarts 0 · 2 connections');
  t.is(await text(page, '[data-actor="partition-1"]'), 'partition-1 running · restarts 0 · 1 connections');

  system.exit('c1', 'kill');
  await waitForRows(page, { c0: { state: 'streaming', restarts: '0' }, c1: { state: 'streaming', restarts: '1' }, c2: { state: 'streaming', restarts: '0' } });

  system.notify({ id: 1, topic: 'news', data: { data: 'n1' } });
  await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document;
    return doc.querySelector('#topics tr:nth-child(2) td:nth-child(5)')?.textContent === '2';
  }, undefined, WAIT);

  clients[2]?.close();
  await waitForRows(page, { c0: { state: 'streaming', restarts: '0' }, c1: { state: 'streaming', restarts: '1' } });
  t.is(await text(page, '[data-counter="connections"] b'), '2');
  t.is(await text(page, '[data-counter="restarts"] b'), '1');
  t.is(await text(page, '[data-counter="notified"] b'), '1');
  t.deepEqual(await rows(page), { c0: { state: 'streaming', restarts: '0' }, c1: { state: 'streaming', restarts: '1' } });
  // The chart drew both lines.
  t.is(await page.locator('#chart polyline').count(), 2);
});

test.serial('authorize denying: the page and its feed answer 403', async (t) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0 });
  const asked: Array<readonly string[]> = [];
  const srv = await startServer(system, (app) =>
    app.use(
      dashboard(system, {
        path: '/admin/sse',
        authorize: async (ctx, topics) => {
          asked.push(topics);
          return ctx.get('x-admin') === 'yes';
        },
      }),
    ),
  );
  t.teardown(srv.close);
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  const denied = await page.goto(`${srv.url}/admin/sse`);
  t.is(denied?.status(), 403);
  t.is(await denied?.text(), 'Forbidden');
  t.is((await get(`${srv.url}/admin/sse/events`)).status, 403);
  t.deepEqual(asked, [['sse-actors.dashboard'], ['sse-actors.dashboard']]);

  await context.setExtraHTTPHeaders({ 'x-admin': 'yes' });
  const allowed = await page.goto(`${srv.url}/admin/sse`);
  t.is(allowed?.status(), 200);
  await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('feed').textContent === 'live', undefined, WAIT);
  t.is(await text(page, '[data-actor="registry"]'), 'registry running · restarts 0');
});
