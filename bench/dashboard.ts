/**
 * The dashboard with 10,000 idle connections: time to first paint and to the first live view in
 * Chromium, and the server's CPU per second while the page is open, against the same server with
 * no page open (the baseline, measured in the same run).
 *
 *   npm run bench:dashboard      (raises `ulimit -n`; or: node --import tsx bench/dashboard.ts)
 *
 * The server runs in a child process (so the clients' CPU is not counted); the parent opens the
 * connections on raw loopback sockets and drives Chromium. Bounded: CONNECTIONS sockets, fixed
 * windows, and a deadline on every wait. `PROFILE=1` writes the server's CPU profile to scratch/prof.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { chromium } from 'playwright-core';
import { createSystem, dashboard, sse } from '../src/index.ts';
import { dashboardView } from '../src/inspect/dashboard-view.ts';

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10_000);
const WINDOW_MS = 5000;
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

type ToServer = { type: 'cpu'; ms: number } | { type: 'snapshot-cost' };
type FromServer = { type: 'listening'; port: number } | { type: 'cpu'; msPerS: number } | { type: 'snapshot-cost'; ms: number; viewMs: number; connections: number };

async function server(): Promise<void> {
  // Idle: no events, and keep-alive every 15 s (as behind a proxy with a 30 s idle timeout).
  const system = createSystem({ topics: ['ticks'], keepAlive: 15_000, maxConnections: CONNECTIONS + 100 });
  const app = new Koa();
  app.use(dashboard(system));
  app.use(sse(system));
  app.use((ctx) => {
    if (ctx.path === '/stream') ctx.sse(['ticks'], { data: 'hello' });
  });
  const srv = http.createServer(app.callback());
  srv.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (srv.address() as AddressInfo).port }));
  const send = (message: FromServer) => process.send?.(message);
  process.on('message', (message: ToServer) => {
    if (message.type === 'cpu') {
      const start = process.cpuUsage();
      setTimeout(() => {
        const used = process.cpuUsage(start);
        send({ type: 'cpu', msPerS: (used.user + used.system) / 1000 / (message.ms / 1000) });
      }, message.ms);
    } else {
      const runs = 20;
      const t0 = performance.now();
      let connections = 0;
      for (let i = 0; i < runs; i++) connections = system.snapshot().connections.length;
      const t1 = performance.now();
      for (let i = 0; i < runs; i++) JSON.stringify(dashboardView(system.snapshot(), Date.now(), 200));
      send({ type: 'snapshot-cost', ms: (t1 - t0) / runs, viewMs: (performance.now() - t1) / runs, connections });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

function ask<T extends FromServer['type']>(child: ChildProcess, type: T, message?: ToServer, timeoutMs = 60_000): Promise<Extract<FromServer, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} from the server within ${timeoutMs} ms`)), timeoutMs);
    const on = (reply: FromServer) => {
      if (reply.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(reply as Extract<FromServer, { type: T }>);
    };
    child.on('message', on);
    if (message) child.send(message);
  });
}

/** Opens `n` idle streams in batches; resolves once every one got its first bytes. */
async function openStreams(port: number, n: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const deadline = Date.now() + 120_000;
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i) }, () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(`GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`));
        socket.once('data', () => resolve(socket));
        socket.on('error', (error) => (socket.readyState === 'open' ? undefined : reject(error))); // a reset at the end is expected
      }),
    );
    sockets.push(...(await Promise.all(batch)));
    if (Date.now() > deadline) throw new Error(`opened only ${sockets.length} streams in 120 s`);
  }
  return sockets;
}

/** The first message of the dashboard feed: its size in bytes is what every viewer gets per tick. */
function firstViewBytes(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/_sse/events', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        const end = text.indexOf('\n\n');
        if (end !== -1) {
          req.destroy();
          resolve(Buffer.byteLength(text.slice(0, end + 2)));
        }
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => reject(new Error('no view within 30 s')));
  });
}

async function main(): Promise<void> {
  const child = fork(new URL(import.meta.url), ['--server'], { execArgv: ['--import', 'tsx', ...(process.env.PROFILE ? ['--cpu-prof', '--cpu-prof-dir=scratch/prof'] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await ask(child, 'listening');
    const t0 = performance.now();
    const sockets = await openStreams(port, CONNECTIONS);
    console.log(`${sockets.length} idle streams open in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const snapshotCost = await ask(child, 'snapshot-cost', { type: 'snapshot-cost' });
    const idle = await ask(child, 'cpu', { type: 'cpu', ms: WINDOW_MS });
    const viewBytes = await firstViewBytes(port);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage();
      const started = performance.now();
      await page.goto(`http://127.0.0.1:${port}/_sse`);
      await page.waitForFunction((n) => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('shown').textContent.includes(`of ${n.toLocaleString('en-US')}`), CONNECTIONS, { timeout: 60_000 });
      const firstView = performance.now() - started;
      const paint = await page.evaluate(() => {
        const entries = (globalThis as unknown as { performance: { getEntriesByType(t: string): Array<{ name: string; startTime: number }> } }).performance.getEntriesByType('paint');
        return Object.fromEntries(entries.map((e) => [e.name, e.startTime]));
      });
      const open = await ask(child, 'cpu', { type: 'cpu', ms: WINDOW_MS });
      const shown = await page.locator('#shown').textContent();
      const figures = {
        connections: sockets.length,
        firstPaintMs: Math.round(paint['first-paint'] ?? Number.NaN),
        firstContentfulPaintMs: Math.round(paint['first-contentful-paint'] ?? Number.NaN),
        firstLiveViewMs: Math.round(firstView),
        viewBytes,
        snapshotMs: Number(snapshotCost.ms.toFixed(2)),
        snapshotAndViewMs: Number(snapshotCost.viewMs.toFixed(2)),
        serverCpuMsPerS: { idle: Number(idle.msPerS.toFixed(1)), dashboardOpen: Number(open.msPerS.toFixed(1)), added: Number((open.msPerS - idle.msPerS).toFixed(1)) },
        pageSays: shown,
      };
      console.log(JSON.stringify(figures, null, 2));
    } finally {
      await browser.close();
    }
    for (const socket of sockets) socket.destroy();
  } finally {
    child.disconnect();
  }
}

if (process.argv.includes('--server')) await server();
else await main();
