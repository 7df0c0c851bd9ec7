import test from 'ava';
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { SystemSnapshot } from '../../src/index.ts';

const EVENTS = 50_000;
const SIZE = 1024;
const MB = 1024 * 1024;

interface Server {
  child: ChildProcess;
  port: number;
  ask<T>(message: object, reply: string): Promise<T>;
  snapshot(): Promise<SystemSnapshot>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = fork(new URL('../fixtures/flow-server.ts', import.meta.url), [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, ...env },
  });
  const ask = <T>(message: object, reply: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (m: { type: string }) => {
        if (m.type !== reply) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
      if (Object.keys(message).length > 0) child.send(message);
    });
  const { port } = await ask<{ port: number }>({}, 'listening');
  return { child, port, ask, snapshot: async () => (await ask<{ snapshot: SystemSnapshot }>({ type: 'snapshot' }, 'snapshot')).snapshot };
}

/** Reads a stream and keeps the ids of its events (frames are `id: N\ndata: ...\n\n`) and its other frames. */
class Reader {
  ids: number[] = [];
  others: string[] = [];
  ended = false;
  private carry = '';
  private waiters: Array<() => void> = [];

  feed(chunk: Buffer): void {
    const frames = (this.carry + chunk.toString('latin1')).split('\n\n');
    this.carry = frames.pop() ?? '';
    for (const frame of frames) {
      if (frame.startsWith('id: ')) this.ids.push(Number(frame.slice(4, frame.indexOf('\n'))));
      else this.others.push(frame);
    }
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${this.ids.length} ids, last ${this.ids.at(-1)}, others ${JSON.stringify(this.others.slice(-3))}`)), timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
      check();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

function fastClient(port: number): Reader {
  const reader = new Reader();
  http.get({ host: '127.0.0.1', port, path: '/?role=fast', agent: false }, (res) => {
    res.on('data', (chunk: Buffer) => reader.feed(chunk));
    res.on('end', () => reader.end());
  });
  return reader;
}

/** A client that stops reading right after the headers: the kernel buffers fill, then the server's. */
function slowClient(port: number): { resume(): void; destroy(): void; reader: Reader } {
  const reader = new Reader();
  let response: http.IncomingMessage | undefined;
  const req = http.get({ host: '127.0.0.1', port, path: '/?role=slow', agent: false }, (res) => {
    response = res;
    res.pause();
    res.on('data', (chunk: Buffer) => reader.feed(chunk));
    res.on('end', () => reader.end());
    res.on('close', () => reader.end());
  });
  return { resume: () => response?.resume(), destroy: () => req.destroy(), reader };
}

for (const overflow of ['close', 'drop-oldest', 'drop-newest'] as const) {
  test.serial(`a paused client under 50,000 × 1 KB events, overflow '${overflow}': bounded memory, the fast client gets everything`, async (t) => {
    const server = await startServer({ OVERFLOW: overflow, LIMIT: '1024' });
    t.teardown(() => server.child.kill());
    const slow = slowClient(server.port);
    const fast = fastClient(server.port);
    const deadline = Date.now() + 10_000;
    while ((await server.snapshot()).connections.filter((c) => c.state === 'streaming').length < 2) {
      if (Date.now() > deadline) throw new Error('clients did not connect');
    }
    const base = await server.ask<{ heapUsed: number; rss: number }>({ type: 'memory', gc: true }, 'memory');
    const published = server.ask<{ peakHeap: number; peakRss: number }>({ type: 'publish', count: EVENTS, size: SIZE, batch: 100 }, 'published');
    const { peakHeap, peakRss } = await published;
    await fast.until(() => fast.ids.length >= EVENTS, 'the fast client to get everything');
    t.deepEqual(fast.ids.length, EVENTS);
    t.true(fast.ids.every((id, i) => id === i), 'fast client ids are 0..49999 in order');

    const snap = await server.snapshot();
    const slowConn = snap.connections.find((c) => c.delivered < EVENTS);
    t.log(
      `${overflow}: heap ${(base.heapUsed / MB).toFixed(1)} → peak ${(peakHeap / MB).toFixed(1)} MB, rss ${(base.rss / MB).toFixed(1)} → peak ${(peakRss / MB).toFixed(1)} MB;`,
      `counters ${JSON.stringify(snap.counters)}; slow ${JSON.stringify(slowConn)}`,
    );
    t.true(peakHeap - base.heapUsed < 100 * MB, `peak heap ${((peakHeap - base.heapUsed) / MB).toFixed(1)} MB above baseline`);

    // Now let the slow client read what the server kept for it.
    slow.resume();
    if (overflow === 'close') {
      t.is(snap.counters.overflowClosed, 1);
      t.is(snap.counters.dropped, 0);
      await slow.reader.until(() => slow.reader.ended, 'the overflowed stream to end');
      const { ids, others } = slow.reader;
      t.true(ids.length > 0 && ids.length < EVENTS);
      t.true(ids.every((id, i) => id === i), 'what the slow client got is a prefix, without gaps');
      t.regex(others.at(-1) ?? '', /^retry: \d+$/);
    } else {
      t.is(snap.counters.overflowClosed, 0);
      t.true(snap.counters.dropped > 0);
      t.is(slowConn?.dropped, snap.counters.dropped);
      // A marker after everything: once the slow client has it, it has all it will ever get.
      // Once it has drained its mailbox, a marker event shows it has all it will ever get.
      const drainBy = Date.now() + 30_000;
      let drained: SystemSnapshot['connections'][number] | undefined;
      do {
        if (Date.now() > drainBy) throw new Error('the slow client did not drain');
        drained = (await server.snapshot()).connections.find((c) => c.id === slowConn?.id);
      } while (!drained || drained.mailbox > 0 || drained.state !== 'streaming');
      await server.ask({ type: 'publish', count: 1, size: 64, batch: 1 }, 'published');
      await slow.reader.until(() => slow.reader.ids.at(-1) === EVENTS, 'the marker event');
      const before = slow.reader.ids.slice(0, -1); // the marker (id 50000) is last
      t.is(before.length + drained.dropped, EVENTS);
      t.true(before.every((id, i) => i === 0 || id > (before[i - 1] as number)), 'increasing ids, each once');
      if (overflow === 'drop-oldest') t.is(before.at(-1), EVENTS - 1, 'drop-oldest keeps the newest');
      else t.true((before.at(-1) as number) < EVENTS - 1, 'drop-newest loses the newest');
    }
    slow.destroy();
    server.child.send({ type: 'exit' });
  });
}
