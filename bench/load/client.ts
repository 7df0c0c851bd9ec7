// The load client: its own process (pinned to another core than the server), driven by
// bench/run.ts over IPC. It opens SSE streams on raw sockets, counts their events, measures
// latency from each payload's timestamp, publishes paced or burst events, and runs churn cycles.
// Every command is bounded in count and in time.
import http from 'node:http';
import { Histogram } from './histogram.ts';
import { SseSocket, now } from './sse-socket.ts';
import type { Command, Reply } from './protocol.ts';

const latency = new Histogram();
let sockets: SseSocket[] = [];
let delivered = 0;
let waiters: Array<() => void> = [];
const failures: string[] = [];
const publisher = new http.Agent({ keepAlive: true, maxSockets: 8 });

const hooks = {
  open: () => wake(),
  fail: (_socket: SseSocket, reason: string) => {
    if (failures.length < 20) failures.push(reason);
    wake();
  },
  events: (_socket: SseSocket, n: number) => {
    delivered += n;
    wake();
  },
};

function wake(): void {
  if (waiters.length === 0) return;
  const ready = waiters;
  waiters = [];
  for (const resolve of ready) resolve();
}

/** Resolves once `done()` holds, re-checking on every socket event and every 50 ms; false past the deadline. */
async function until(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (now() > deadline) return false;
    await new Promise<void>((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 50);
    });
  }
  return true;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function post(port: number, path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: publisher, headers: { 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`publish answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The n-th address of 127.0.0.0/8 (1 is 127.0.0.1, 256 is 127.0.1.0: every one of them is loopback on Linux). */
function loopbackAddress(n: number): string {
  return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * Opens streams until `count` are open (at most `concurrency` connecting at once). With `sources`,
 * round-robin from the (2 + sourceOffset)-th address of 127.0.0.0/8 to the (sources + 1 + sourceOffset)-th: past the ~28k
 * ephemeral ports of one address (and, with an offset per run, past the ports an earlier run's closed
 * streams still hold in TIME_WAIT for 60 s).
 */
async function open(port: number, path: string, count: number, concurrency: number, timeoutMs: number, sources = 0, sourceOffset = 0) {
  const started = now();
  const deadline = started + timeoutMs;
  let connecting = 0;
  const opened = () => sockets.filter((s) => s.opened && !s.closed).length;
  let made = 0;
  while (made < count) {
    if (now() > deadline) break;
    while (connecting < concurrency && made < count) {
      connecting++;
      made++;
      const socket = new SseSocket(port, path, latency, {
        open: () => {
          connecting--;
          hooks.open();
        },
        fail: (s, reason) => {
          if (!s.opened) connecting--;
          hooks.fail(s, reason);
        },
        events: hooks.events,
      }, sources > 0 ? loopbackAddress(2 + sourceOffset + (made % sources)) : undefined);
      sockets.push(socket);
    }
    await until(() => connecting < concurrency, deadline);
  }
  await until(() => connecting === 0, deadline);
  return { open: opened(), ms: now() - started, failures: failures.splice(0) };
}

function closeAll(): void {
  for (const socket of sockets) socket.destroy();
  sockets = [];
}

/** Publishes `rate` events/s for `durationMs` (one POST each), then waits for every delivery. */
async function paced(port: number, topic: string, rate: number, durationMs: number, drainMs: number, body: string) {
  const streams = sockets.filter((s) => s.opened && !s.closed).length;
  const total = Math.round((rate * durationMs) / 1000);
  const path = `/publish?topic=${topic}`;
  latency.reset();
  const before = delivered;
  const cpu0 = cpuMs();
  const t0 = now();
  let sent = 0;
  let acked = 0;
  let inFlight = 0;
  const errors: string[] = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((now() - t0) * rate) / 1000) + 1);
      while (sent < due && inFlight < 64) {
        sent++;
        inFlight++;
        post(port, path, body)
          .catch((error: Error) => void (errors.length < 5 && errors.push(error.message)))
          .finally(() => {
            inFlight--;
            acked++;
          });
      }
      if (sent < total && now() - t0 < durationMs * 2) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const publishMs = now() - t0;
  const inWindow = delivered - before;
  const expected = sent * streams;
  const drained = await until(() => delivered - before >= expected && acked === sent, now() + drainMs);
  const totalMs = now() - t0;
  return {
    rate,
    streams,
    sent,
    expected,
    delivered: delivered - before,
    deliveredInWindow: inWindow,
    publishMs,
    totalMs,
    drained,
    sendRate: (sent / publishMs) * 1000,
    p50: latency.percentile(50),
    p99: latency.percentile(99),
    max: latency.max,
    clientCpuMs: cpuMs() - cpu0,
    errors,
  };
}

/** One POST publishing `count` events in one synchronous loop; waits until every stream has them all. */
async function burst(port: number, topic: string, count: number, timeoutMs: number, body: string) {
  const open = sockets.filter((s) => s.opened && !s.closed);
  const base = new Map(open.map((s) => [s, s.events]));
  latency.reset();
  const before = delivered;
  const expected = count * open.length;
  const cpu0 = cpuMs();
  const t0 = now();
  await post(port, `/publish?topic=${topic}&count=${count}`, body);
  const publishedMs = now() - t0;
  const complete = await until(() => delivered - before >= expected, t0 + timeoutMs);
  const elapsedMs = now() - t0;
  const short = open.filter((s) => s.events - (base.get(s) ?? 0) < count).length;
  return {
    streams: open.length,
    count,
    expected,
    delivered: delivered - before,
    complete,
    incompleteStreams: short,
    publishedMs,
    elapsedMs,
    p50: latency.percentile(50),
    p99: latency.percentile(99),
    max: latency.max,
    clientCpuMs: cpuMs() - cpu0,
  };
}

/** `cycles` connect → first bytes → disconnect cycles, `concurrency` at a time. */
async function churn(port: number, path: string, cycles: number, concurrency: number, timeoutMs: number) {
  const t0 = now();
  const deadline = t0 + timeoutMs;
  let started = 0;
  let done = 0;
  let failed = 0;
  const scratch = new Histogram();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = new SseSocket(port, path, scratch, {
        open: (s) => {
          s.destroy();
          done++;
          resolve();
        },
        fail: (_s, reason) => {
          failed++;
          if (failures.length < 20) failures.push(reason);
          resolve();
        },
        events: () => {},
      });
      void socket;
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < cycles && now() < deadline) {
        started++;
        await one();
      }
    }),
  );
  const ms = now() - t0;
  return { cycles: done, failed, ms, perSecond: (done / ms) * 1000, failures: failures.splice(0) };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.type) {
    case 'open':
      return open(command.port, command.path, command.count, command.concurrency, command.timeoutMs, command.sources, command.sourceOffset);
    case 'close':
      if (command.count === undefined) closeAll();
      else for (const socket of sockets.splice(Math.max(0, sockets.length - command.count))) socket.destroy();
      return { closed: true };
    case 'paced':
      return paced(command.port, command.topic, command.rate, command.durationMs, command.drainMs, command.body);
    case 'burst':
      return burst(command.port, command.topic, command.count, command.timeoutMs, command.body);
    case 'churn':
      return churn(command.port, command.path, command.cycles, command.concurrency, command.timeoutMs);
    case 'count':
      return { delivered, streams: sockets.filter((s) => s.opened && !s.closed).length };
    case 'await':
      return { complete: await until(() => delivered >= command.delivered, now() + command.timeoutMs), delivered };
    case 'exit':
      closeAll();
      setImmediate(() => process.exit(0));
      return { exiting: true };
  }
}

process.on('message', (message: { id: number; command: Command }) => {
  handle(message.command).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies Reply),
    (error: Error) => process.send?.({ id: message.id, ok: false, error: error.stack ?? String(error) } satisfies Reply),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ id: 0, ok: true, result: { ready: true } } satisfies Reply);
