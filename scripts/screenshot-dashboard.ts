/**
 * Makes docs/dashboard.png: the dashboard of a small live system (a few dozen streams on three
 * topics, events flowing, one connection killed and restarted).
 * Run by hand after changing the page: `node --import tsx scripts/screenshot-dashboard.ts`.
 * Needs Debian's chromium at /usr/bin/chromium.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { chromium } from 'playwright-core';
import { createSystem, dashboard, sse } from '../src/index.ts';

const OUT = new URL('../docs/dashboard.png', import.meta.url);
const TOPICS = ['usd_eur_pair_updated', 'usd_gbp_pair_updated', 'news'];

const system = createSystem({ topics: TOPICS, keepAlive: 5000, partitions: 4, node: 'node-a' });
const app = new Koa();
app.use(dashboard(system, { intervalMs: 250 }));
app.use(sse(system));
app.use((ctx) => {
  if (ctx.path === '/stream') ctx.sse(String(ctx.query.topics).split(','), { data: 'hello' });
});
const server = http.createServer(app.callback());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const requests: http.ClientRequest[] = [];
for (let i = 0; i < 36; i++) {
  const topics = [TOPICS[i % 3], ...(i % 4 === 0 ? [TOPICS[2]] : [])].join(',');
  requests.push(http.get(`${origin}/stream?topics=${topics}`, { agent: false }, (res) => res.resume()));
}
const until = async (what: string, condition: () => boolean) => {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
await until('36 streams', () => system.snapshot().connections.filter((c) => c.state === 'streaming').length === 36);
system.exit('c3', 'kill');

// Events at a varying rate, so the chart has a shape.
let id = 0;
const payload = 'x'.repeat(2000);
const ticker = setInterval(() => {
  const burst = 5 + Math.round(20 * (1 + Math.sin(id / 40)));
  for (let i = 0; i < burst; i++) system.notify({ id: ++id, topic: TOPICS[id % 3] as string, data: { data: `${payload} ${id}` } });
}, 50);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: 'light' });
  await page.goto(`${origin}/_sse`);
  // Let the chart fill for a while (about 60 ticks).
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string | null } | null } }).document.querySelector('#chart polyline')?.getAttribute('points')?.split(' ').length === 60, undefined, { timeout: 60_000 });
  await page.screenshot({ path: OUT.pathname, fullPage: true });
  console.log(`wrote ${OUT.pathname}`);
} finally {
  clearInterval(ticker);
  await browser.close();
  for (const req of requests) req.destroy();
  await system.stop({ timeoutMs: 1000 });
  server.closeAllConnections();
  server.close();
}
