import test from 'ava';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { createSystem } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { RawClient, koaServer, watchProcess } from './raw.ts';

/**
 * Admission fuzz (issue 17): random `authorize` delays around and beyond `authorizeTimeoutMs`,
 * racing `stop()` and client disconnects, with a small `maxConnections`. Checks: every socket is
 * answered (a stream, busy, 503, 403, 500) or closed; pending admissions never exceed the cap;
 * after `stop()` nothing is admitted, streaming or open; nothing unhandled. Fixed seed in
 * `npm test`; FUZZ_RUNS and FUZZ_SEED to go further.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const TIMEOUT_MS = 20;

interface Req {
  /** ms before authorize settles (beyond TIMEOUT_MS: too late), or null: never. */
  delay: number | null;
  verdict: 'allow' | 'deny' | 'reject';
  eventSource: boolean;
  /** ms after sending before the client leaves, or null: it stays. */
  leaveAfter: number | null;
}

const req = fc.record({
  delay: fc.option(fc.integer({ min: 0, max: 3 * TIMEOUT_MS }), { nil: null, freq: 4 }),
  verdict: fc.constantFrom('allow', 'deny', 'reject') as fc.Arbitrary<Req['verdict']>,
  eventSource: fc.boolean(),
  leaveAfter: fc.option(fc.integer({ min: 0, max: 2 * TIMEOUT_MS }), { nil: null, freq: 3 }),
});
const scenario: fc.Arbitrary<Scenario> = fc.record({
  requests: fc.array(req, { minLength: 1, maxLength: 16 }),
  maxConnections: fc.integer({ min: 1, max: 6 }),
  /** ms after the last request is sent before stop() is called. */
  stopAfter: fc.integer({ min: 0, max: 3 * TIMEOUT_MS }),
});

const answered = (c: RawClient) => c.status !== 0;

interface Scenario {
  requests: Req[];
  maxConnections: number;
  stopAfter: number;
}

async function run({ requests, maxConnections, stopAfter }: Scenario, seenStatuses: Record<string, number>): Promise<void> {
  const system = createSystem({ topics: ['a'], keepAlive: 0, maxConnections, authorizeTimeoutMs: TIMEOUT_MS, busyRetry: { baseMs: 10, jitterMs: 10 } });
  let maxAdmitting = 0;
  const srv = await koaServer(system, {
    authorize: (ctx) => {
      maxAdmitting = Math.max(maxAdmitting, system.snapshot().admitting);
      const r = requests[Number(ctx.query.n)] as Req;
      if (r.delay === null) return new Promise<boolean>(() => undefined);
      return new Promise<boolean>((resolve, reject) =>
        setTimeout(() => (r.verdict === 'reject' ? reject(new Error('auth backend down')) : resolve(r.verdict === 'allow')), r.delay as number),
      );
    },
  });
  const port = (srv.server.address() as AddressInfo).port;
  const clients = requests.map((r, n) => {
    const accept = r.eventSource ? 'Accept: text/event-stream\r\n' : '';
    const client = new RawClient(port, `GET /events?topics=a&n=${n} HTTP/1.1\r\nHost: x\r\n${accept}\r\n`);
    if (r.leaveAfter !== null) setTimeout(() => client.destroy(), r.leaveAfter);
    return client;
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, stopAfter)); // the race point: stop() lands among verdicts, timeouts and departures
    if (system.snapshot().admitting > maxConnections) throw new Error('more admissions pending than maxConnections');
    await system.stop({ timeoutMs: 2000 });
    const after = system.snapshot();
    if (after.admitting !== 0 || after.connections.length !== 0) throw new Error(`stop() left ${after.admitting} admitting, ${after.connections.length} streaming`);
    await eventually(() => clients.every((c) => c.closed || answered(c)), 5000, 'every socket to be answered or closed');
    for (const c of clients) {
      const key = c.status === 0 ? 'closed' : c.status === 200 && c.body.includes('event: sse-busy') ? `busy ${/"reason":"([a-z-]+)"/.exec(c.body)?.[1]}` : String(c.status);
      seenStatuses[key] = (seenStatuses[key] ?? 0) + 1;
    }
    await new Promise<void>((resolve) => srv.server.close(() => resolve()));
    if (maxAdmitting > maxConnections) throw new Error(`${maxAdmitting} admissions pending with maxConnections ${maxConnections}`);
    if (srv.outcomes.some((o) => 'rejected' in o)) throw new Error('ctx.sse() rejected');
  } finally {
    for (const c of clients) c.destroy();
    srv.server.closeAllConnections();
  }
}

test('admission fuzz: authorize delays beyond the timeout, racing stop() and disconnects; nothing pending, streaming or open afterwards', async (t) => {
  const watch = watchProcess();
  t.teardown(watch.stop);
  const statuses: Record<string, number> = {};
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      runs += 1;
      await run(s, statuses);
      if (watch.seen.length > 0) throw new Error(`unhandled: ${String(watch.seen[0])}`);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  t.log(`seed ${SEED}: ${runs} runs; answers ${JSON.stringify(statuses)}`);
  t.is(runs, RUNS);
  for (const reason of ['busy full', 'busy stopping', 'busy authorize-timeout', '503', '403']) t.true((statuses[reason] ?? 0) > 0, `some ${reason}`);
  t.deepEqual(watch.seen, []);
});
