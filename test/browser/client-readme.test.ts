/**
 * The README's browser client example, taken from README.md as it is and run in Chromium as a
 * module script (its `sse-actors/client` import pointed at the served bundle), against a Koa app
 * with the two routes it uses.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import { createSystem, sse } from '../../src/index.ts';
import { launchChromium, until, WAIT } from '../helpers/chromium.ts';
import { CLIENT_PATH, clientBundle } from '../helpers/client-page.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const snippet = /<!-- browser snippet[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];

const PAGE = '<!doctype html><meta charset="utf-8"><title>README client</title><p id="rate"></p><p id="state"></p>';

test('the README browser client example runs: rates render, its state shows, the Authorization header reaches authorize', async (t) => {
  t.truthy(snippet, 'README.md has the browser snippet');
  t.true(snippet?.includes("from 'sse-actors/client'"));
  const system = createSystem({ topics: ['usd_eur_pair_updated', 'orders'], keepAlive: 0 });
  const authorizations: string[] = [];
  const app = new Koa();
  app.use(sse(system, { authorize: (ctx) => ctx.path !== '/orders' || ctx.get('authorization') === 'Bearer t0ken' }));
  app.use(async (ctx) => {
    if (ctx.path === '/') {
      ctx.type = 'html';
      ctx.body = PAGE;
    } else if (ctx.path === CLIENT_PATH) {
      ctx.type = 'text/javascript';
      ctx.body = await clientBundle();
    } else if (ctx.path === '/exchange_rates/usd_eur') {
      return ctx.sse('usd_eur_pair_updated', { data: JSON.stringify({ rates: { USD: 1, EUR: 0.9212 } }) });
    } else if (ctx.path === '/orders') {
      authorizations.push(ctx.get('authorization'));
      return ctx.sse('orders');
    }
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium();
  t.teardown(async () => {
    await browser.close();
    await system.stop({ timeoutMs: 500 });
    server.closeAllConnections();
    server.close();
  });

  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.evaluate(() => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('token', 't0ken'));
  await page.addScriptTag({ type: 'module', content: (snippet ?? '').replace("'sse-actors/client'", `'${CLIENT_PATH}'`) });

  const text = (selector: string) => page.locator(selector).textContent();
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } } }).document.querySelector('#state').textContent === 'open', undefined, WAIT);
  t.is(await text('#rate'), '0.9212');
  await until('both streams', () => system.snapshot().connections.filter((c) => c.state === 'streaming').length === 2);
  system.notify({ id: 1, topic: 'usd_eur_pair_updated', data: { data: JSON.stringify({ rates: { USD: 1, EUR: 0.9305 } }) } });
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } } }).document.querySelector('#rate').textContent === '0.9305', undefined, WAIT);
  t.deepEqual(authorizations, ['Bearer t0ken']);
});
