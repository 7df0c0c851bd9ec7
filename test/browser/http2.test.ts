/**
 * HTTP/2 in Chromium (issue 17): over TLS with a certificate this test makes, one page opens more
 * EventSources than HTTP/1.1's six per host — 12 to a Koa app and one to `system.stream` — on
 * `http2.createSecureServer({ allowHTTP1: true })`. All of them stream over one session; closing
 * them leaves no connection.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import { chromium } from 'playwright-core';
import { createSystem, sse } from '../../src/index.ts';
import { CHROMIUM, CHROMIUM_ARGS, until, WAIT } from '../helpers/chromium.ts';
import { selfSigned } from '../helpers/tls.ts';

const KOA_SOURCES = 12;

interface PageGlobals {
  got: string[][];
  opened: number;
  sources: Array<{ close(): void }>;
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script>
  window.got = [];
  window.opened = 0;
  window.sources = [];
  const urls = [...Array(${KOA_SOURCES}).keys()].map((n) => '/koa/' + n).concat(['/raw']);
  urls.forEach((url, n) => {
    const es = new EventSource(url);
    window.got[n] = [];
    es.onopen = () => window.opened++;
    es.onmessage = (e) => window.got[n].push(e.data);
    window.sources.push(es);
  });
</script>`;

test('Chromium over TLS: 12 EventSources to Koa and one to system.stream share one HTTP/2 session; closing them leaves 0 connections', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0 });
  const app = new Koa();
  app.use(sse(system));
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/koa/')) return next();
    await ctx.sse('t');
  });
  app.use((ctx) => {
    ctx.type = 'html';
    ctx.body = ctx.path === '/' ? PAGE : '';
    if (ctx.path !== '/') ctx.status = 404;
  });
  const koa = app.callback();
  const versions: string[] = [];
  const server = http2.createSecureServer({ ...selfSigned(), allowHTTP1: true }, (req, res) => {
    versions.push(req.httpVersion);
    if (req.url === '/raw') return void system.stream(req, res, 't');
    void koa(req, res);
  });
  let sessions = 0;
  server.on('session', () => (sessions += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'] });
  t.teardown(async () => {
    await browser.close();
    await system.stop({ timeoutMs: 1000 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).opened === n, KOA_SOURCES + 1, WAIT);
  await until('every stream to subscribe', () => system.snapshot().topics[0]?.subscribers === KOA_SOURCES + 1);
  system.notify({ id: 1, topic: 't', data: { data: 'one for all' } });
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).got.every((g) => g.length === 1), undefined, WAIT);
  t.deepEqual(await page.evaluate(() => (globalThis as unknown as PageGlobals).got), Array.from({ length: KOA_SOURCES + 1 }, () => ['one for all']));
  t.is(sessions, 1);
  t.deepEqual(new Set(versions), new Set(['2.0']));
  t.true(versions.length >= KOA_SOURCES + 2); // the page, its streams (and maybe a favicon), all on HTTP/2
  await page.evaluate(() => (globalThis as unknown as PageGlobals).sources.forEach((s) => s.close()));
  await until('every stream to be released', () => system.snapshot().connections.length === 0);
  t.is(system.snapshot().topics[0]?.subscribers, 0);
  t.is(sessions, 1);
});
