import test from 'ava';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import Koa from 'koa';
import { createSystem, sse, type SseSystem } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { watchProcess } from './raw.ts';
import { h2Session } from '../helpers/h2.ts';

/**
 * HTTP/2 fuzz (issue 17): many streams opening at once over a few h2c sessions, to Koa and to
 * `system.stream`; each stream reads, stops reading (its window fills: the mailbox policy must
 * apply), or is reset (RST_STREAM) after a random number of events; sessions may GOAWAY or be
 * destroyed mid-stream. Checks: nothing unhandled; the streams that stopped reading are closed by
 * the overflow policy; once the clients are gone no connection is left, and after stop() no
 * session. Fixed seed in `npm test`; FUZZ_RUNS and FUZZ_SEED to go further.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 20261217);
const EVENTS = 120;
const PAYLOAD = 'y'.repeat(1000);

type Fate = 'read' | 'stall' | 'reset';
interface StreamPlan {
  route: 'koa' | 'raw';
  fate: Fate;
  /** Events read before the fate applies. */
  after: number;
}
interface SessionPlan {
  streams: StreamPlan[];
  end: 'keep' | 'goaway' | 'destroy';
  /** Events notified before the session's end. */
  endAfter: number;
}

const streamPlan: fc.Arbitrary<StreamPlan> = fc.record({
  route: fc.constantFrom('koa', 'raw') as fc.Arbitrary<'koa' | 'raw'>,
  fate: fc.constantFrom('read', 'stall', 'reset') as fc.Arbitrary<Fate>,
  after: fc.integer({ min: 0, max: EVENTS }),
});
const sessionPlan: fc.Arbitrary<SessionPlan> = fc.record({
  streams: fc.array(streamPlan, { minLength: 1, maxLength: 24 }),
  end: fc.constantFrom('keep', 'goaway', 'destroy') as fc.Arbitrary<SessionPlan['end']>,
  endAfter: fc.integer({ min: 0, max: EVENTS }),
});

function serve(system: SseSystem): http2.Http2Server {
  const app = new Koa();
  app.silent = true;
  app.use(sse(system)).use((ctx) => ctx.sse('t'));
  const koa = app.callback();
  return http2.createServer((req, res) => {
    if (req.url === '/raw') {
      try {
        system.stream(req, res, 't');
      } catch {
        res.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      }
      return;
    }
    void koa(req, res);
  });
}

async function run(plans: SessionPlan[]): Promise<{ streams: number; overflowClosed: number }> {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 }, mailbox: { limit: 16, overflow: 'close' }, closeTimeoutMs: 200 });
  const server = serve(system);
  const serverSessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    serverSessions.add(s);
    s.on('close', () => serverSessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sessions = plans.map(() => http2.connect(origin).on('error', () => undefined));
  const opened: Array<{ plan: StreamPlan; read: number; stream: http2.ClientHttp2Stream }> = [];
  const total = plans.reduce((n, p) => n + p.streams.length, 0);
  try {
    plans.forEach((plan, i) => {
      const session = sessions[i] as http2.ClientHttp2Session;
      for (const s of plan.streams) {
        const stream = session.request({ ':path': s.route === 'raw' ? '/raw' : '/koa', accept: 'text/event-stream' });
        const entry = { plan: s, read: 0, stream };
        stream.on('error', () => undefined);
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          entry.read += chunk.split('\nid: ').length - 1 + (chunk.startsWith('id: ') ? 1 : 0);
          if (entry.read < s.after) return;
          if (s.fate === 'stall') stream.pause();
          if (s.fate === 'reset') stream.close(http2.constants.NGHTTP2_CANCEL);
        });
        if (s.after === 0 && s.fate === 'stall') stream.pause();
        opened.push(entry);
      }
    });
    await eventually(() => system.snapshot().connections.length + countClosed(opened) >= total, 10_000, 'every stream to open');
    for (let id = 1; id <= EVENTS; id++) {
      system.notify({ id, topic: 't', data: { data: PAYLOAD } });
      plans.forEach((plan, i) => {
        if (plan.endAfter !== id) return;
        const session = sessions[i] as http2.ClientHttp2Session;
        if (plan.end === 'goaway') session.goaway(http2.constants.NGHTTP2_NO_ERROR);
        if (plan.end === 'destroy') session.destroy();
      });
      if (id % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const { overflowClosed } = system.snapshot().counters;
    for (const session of sessions) session.destroy();
    await eventually(() => system.snapshot().connections.length === 0, 10_000, 'no connection left once the clients are gone');
    await system.stop({ timeoutMs: 1000 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await eventually(() => serverSessions.size === 0, 10_000, 'no session left');
    return { streams: total, overflowClosed };
  } finally {
    for (const session of sessions) session.destroy();
    if (!system.stopped) await system.stop({ timeoutMs: 100 });
  }
}

const countClosed = (opened: Array<{ stream: http2.ClientHttp2Stream }>) => opened.filter((o) => o.stream.closed || o.stream.destroyed).length;

test('HTTP/2 fuzz: RST_STREAM, GOAWAY, stalled readers and many streams at once; nothing crashes, no connection or session left', async (t) => {
  const watch = watchProcess();
  t.teardown(watch.stop);
  let runs = 0;
  let streams = 0;
  let overflowClosed = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(sessionPlan, { minLength: 1, maxLength: 3 }), async (plans) => {
      runs += 1;
      const figures = await run(plans);
      streams += figures.streams;
      overflowClosed += figures.overflowClosed;
      if (watch.seen.length > 0) throw new Error(`unhandled: ${String(watch.seen[0])}`);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  t.log(`seed ${SEED}: ${runs} runs, ${streams} streams, ${overflowClosed} closed by the overflow policy`);
  t.is(runs, RUNS);
  t.true(overflowClosed > 0, 'stalled readers were closed by the mailbox policy');
  t.deepEqual(watch.seen, []);
});

test('HTTP/2: a reader that stalls from the start is closed by overflow "close" once its window is full; a reader beside it on the same session gets every event', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 }, mailbox: { limit: 16, overflow: 'close' }, closeTimeoutMs: 200 });
  const session = await h2Session(t, system, serve(system));
  // As browsers do (Chromium: 15 MB): a connection window the stalled stream cannot use up alone.
  await new Promise<void>((resolve) => session.once('connect', () => resolve()));
  session.setLocalWindowSize(16 * 1024 * 1024);
  const stalled = session.request({ ':path': '/raw', accept: 'text/event-stream' });
  stalled.pause();
  let raw = '';
  const reader = session.request({ ':path': '/koa', accept: 'text/event-stream' }).setEncoding('utf8');
  reader.on('data', (chunk: string) => (raw += chunk));
  await eventually(() => system.snapshot().connections.length === 2, 20_000, 'both streams');
  // 300 KB: the stalled stream's window (64 KB) fills, then more than a window waits on the server.
  const events = 300;
  for (let id = 1; id <= events; id++) {
    system.notify({ id, topic: 't', data: { data: PAYLOAD } });
    await new Promise((resolve) => setImmediate(resolve));
  }
  await eventually(() => system.snapshot().counters.overflowClosed === 1, 20_000, 'the stalled reader to be closed');
  await eventually(() => raw.includes(`id: ${events}\n`), 20_000, 'the reader to get everything');
  t.is((raw.match(/^id: /gm) ?? []).length, events);
  // The stalled stream was ended; it leaves once its socket closes or closeTimeoutMs (200 ms) cuts it.
  await eventually(() => system.snapshot().connections.length === 1, 20_000, 'the stalled stream to leave');
  t.deepEqual(system.snapshot().connections.map((c) => c.state), ['streaming']);
});
