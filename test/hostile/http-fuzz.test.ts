import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import Koa from 'koa';
import { createSystem, sse, type Authorize, type SseSystem } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { RawClient, watchProcess } from './raw.ts';

/**
 * HTTP fuzzing with raw sockets against a Koa app (`sse(system, { authorize })`) and a plain
 * `node:http` server (`system.stream`, in the README's shape). Each run opens a few sockets with
 * random request lines, targets, header sets and authorize outcomes, disconnects some of them at
 * random points, then checks: every socket is closed, streaming or answered; `snapshot()` counts
 * exactly the streaming ones; `stop()` ends them and resolves; `server.close()` completes; and no
 * unhandled rejection or uncaught exception was seen. Fixed seed in `npm test`; FUZZ_RUNS and
 * FUZZ_SEED to go further.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const TOPICS = ['a', 'b', 'news.eu', 'news.us', 'secret.plans'];
const NOTIFIED = ['e1', 'é-2', 'e3'];

type Disconnect = 'never' | 'after-write' | 'after-head' | 'partial' | 'half-close';

/** What authorize does, by index (sent in `X-Outcome`): plain values, throws, rejections, a slow promise. */
const OUTCOMES = [
  'true',
  'false',
  "'false'",
  '1',
  '{allowed:false}',
  'undefined',
  'throw undefined',
  "throw 'x'",
  'throw Error',
  'throw 401 CRLF headers',
  "throw status 'UNAUTHENTICATED'",
  'resolve true',
  'resolve false',
  'reject null',
  'reject status 1000',
  'slow',
] as const;

interface Req {
  method: string;
  target: string;
  version: string;
  headers: Array<[string, Buffer]>;
  lineEnd: string;
  outcome: number;
  disconnect: Disconnect;
  cut: number;
}

const validTopic = fc.constantFrom('a', 'b', 'news.*', '**', 'news.eu', 'secret.*', 'a,a');
const badTopic = fc.constantFrom('*', 'nope', '', '%00', '%E9', '*'.repeat(300));
const queryPart = fc.oneof(
  { weight: 4, arbitrary: fc.array(validTopic, { minLength: 1, maxLength: 4 }).map((t) => `topics=${t.join(',')}`) },
  fc.array(fc.oneof(validTopic, badTopic), { maxLength: 40 }).map((t) => `topics=${t.join(',')}`),
  fc.constantFrom('e1', '%C3%A9-2', 'e3', 'nope', '%', '%E0%A4%A', '', '%0D%0Aevent:x').map((id) => `lastEventId=${id}`),
  fc.stringMatching(/^[a-zA-Z0-9%=&+.*-]{0,20}$/),
);
const target = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant('/events') },
      { weight: 3, arbitrary: fc.constantFrom('//x:99999/', 'http://x:99999/events', 'http://[::1/', '*', '/', '/%', '/a/../..') },
      fc.stringMatching(/^\/[\x21-\x7e]{0,30}$/),
    ),
    fc.option(fc.array(queryPart, { maxLength: 4 }).map((parts) => `?${parts.join('&')}`), { nil: '' }),
  )
  .map(([path, query]) => path + query);
const headerValue = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom('e1', 'é-2', 'e3', 'close', 'keep-alive', 'text/event-stream', 'nope').map((s) => Buffer.from(s, 'utf8')) },
  fc.stringMatching(/^[\x20-\x7e]{0,40}$/).map((s) => Buffer.from(s)),
  fc.constantFrom('é-2', '€', '\u{1F600}').map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => Buffer.from(bytes.map((b) => (b < 0x20 ? b + 0x80 : b)))),
  fc.constantFrom('a\rb', 'a\nInjected: 1', 'x\0y').map((s) => Buffer.from(s)),
  fc.integer({ min: 0, max: 20_000 }).map((n) => Buffer.alloc(n, 'a')),
);
/** `X-User`: the stream's `user`, as JSON (valid users, bad shapes, huge info) or a raw id. */
const userValue = fc.oneof(
  { weight: 4, arbitrary: fc.record({ id: fc.constantFrom('u1', 'u2', 'ü3'), info: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }) }).map((u) => JSON.stringify(u)) },
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{"id":""}', '{"id":7}', `{"id":"${'x'.repeat(300)}"}`, `{"id":"u","info":"${'x'.repeat(5000)}"}`, '{"id":"u","info":{"__proto__":{"a":1}}}', '{', 'null'),
  fc.stringMatching(/^[\x20-\x7e]{0,20}$/),
).map((text) => Buffer.from(text, 'utf8'));
const header = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.oneof({ weight: 15, arbitrary: fc.constantFrom('Last-Event-ID', 'last-event-id', 'Connection', 'Accept', 'X-Any') }, fc.constantFrom('Content-Length', 'Transfer-Encoding', 'Bad Name', 'Ünï')), headerValue) },
  fc.tuple(fc.constant('X-User'), userValue),
);
const request: fc.Arbitrary<Req> = fc.record({
  method: fc.oneof({ weight: 12, arbitrary: fc.constant('GET') }, fc.constantFrom('HEAD', 'POST', 'BREW', 'G\0T')),
  target,
  version: fc.oneof({ weight: 12, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTX/1.1')),
  headers: fc.array(header, { maxLength: 4 }),
  lineEnd: fc.oneof({ weight: 19, arbitrary: fc.constant('\r\n') }, fc.constant('\n')),
  // Half of them allowed (so that streams open), the rest spread over every other outcome.
  outcome: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 11) }, fc.integer({ min: 0, max: OUTCOMES.length - 1 })),
  disconnect: fc.constantFrom<Disconnect>('never', 'never', 'after-write', 'after-head', 'partial', 'half-close'),
  cut: fc.nat(),
});
const scenario = fc.record({ requests: fc.array(request, { minLength: 1, maxLength: 6 }), slow: fc.array(fc.constantFrom<true | false | 'reject'>(true, false, 'reject'), { minLength: 6, maxLength: 6 }) });

function bytesOf(r: Req): Buffer {
  const parts: Buffer[] = [Buffer.from(`${r.method} ${r.target} ${r.version}${r.lineEnd}Host: x${r.lineEnd}X-Outcome: ${r.outcome}${r.lineEnd}`)];
  for (const [name, value] of r.headers) parts.push(Buffer.from(`${name}: `, 'latin1'), value, Buffer.from(r.lineEnd));
  parts.push(Buffer.from(r.lineEnd));
  return Buffer.concat(parts);
}

/** Authorize by the request's `X-Outcome`; slow ones wait for the run to settle them. */
function fuzzAuthorize(slow: Array<() => void>, verdicts: Array<true | false | 'reject'>): Authorize {
  const error = (props: object) => Object.assign(new Error('authorize failed'), props);
  return ((ctx: Koa.ParameterizedContext) => {
    const n = Number(ctx.get('x-outcome'));
    const outcome = OUTCOMES[Number.isInteger(n) && n >= 0 && n < OUTCOMES.length ? n : 0];
    switch (outcome) {
      case 'true': return true;
      case 'false': return false;
      case "'false'": return 'false';
      case '1': return 1;
      case '{allowed:false}': return { allowed: false };
      case 'undefined': return undefined;
      case 'throw undefined': throw undefined;
      case "throw 'x'": throw 'x';
      case 'throw Error': throw new Error('secret');
      case 'throw 401 CRLF headers': throw error({ status: 401, expose: true, headers: { 'X-A': 'b\r\nSet-Cookie: x=1' } });
      case "throw status 'UNAUTHENTICATED'": throw error({ status: 'UNAUTHENTICATED', expose: true });
      case 'resolve true': return Promise.resolve(true);
      case 'resolve false': return Promise.resolve(false);
      case 'reject null': return Promise.reject(null);
      case 'reject status 1000': return Promise.reject(error({ status: 1000, expose: true }));
      default:
        return new Promise((resolve, reject) => {
          const verdict = verdicts[slow.length % verdicts.length];
          slow.push(() => (verdict === 'reject' ? reject(new Error('late')) : resolve(verdict)));
        });
    }
  }) as unknown as Authorize;
}

/** The request's `X-User` as the app would pass it: parsed JSON when it parses, else `{ id: raw }`; validation is the system's. */
function userOf(raw: string | string[] | undefined): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return { id: raw };
  }
}

function topicsOf(url: string | undefined): string[] | undefined {
  const q = url?.indexOf('?') ?? -1;
  if (url === undefined || q === -1) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get('topics')?.split(',');
}

function serve(kind: 'koa' | 'plain', system: SseSystem, slow: Array<() => void>, verdicts: Array<true | false | 'reject'>, rejections: unknown[]): http.Server {
  if (kind === 'plain') {
    return http.createServer((req, res) => {
      const topics = topicsOf(req.url);
      // The README's shape, no try/catch: nothing a client sends may make it throw.
      if (topics === undefined) {
        // After stop() a request that still arrives (a keep-alive socket's next one) gets 503 here.
        if (system.stopped) return void res.writeHead(503, { 'Content-Length': 0 }).end();
        return void system.stream(req, res, ['a']);
      }
      try {
        system.stream(req, res, topics, undefined, { user: userOf(req.headers['x-user']) as never });
      } catch (error) {
        const body = (error as Error).message;
        res.writeHead((error as { status?: number }).status ?? 500, { 'Content-Length': Buffer.byteLength(body) }).end(body);
      }
    });
  }
  const app = new Koa();
  app.silent = true; // Koa's default error listener stays: it throws on non-Errors
  app.use(sse(system, { authorize: fuzzAuthorize(slow, verdicts) }));
  app.use((ctx) => {
    const raw = ctx.query.topics;
    void ctx.sse(typeof raw === 'string' ? raw.split(',') : ['a'], undefined, { user: userOf(ctx.req.headers['x-user']) as never }).catch((error: unknown) => rejections.push(error));
  });
  return http.createServer(app.callback());
}

const headComplete = (c: RawClient) => c.data.includes('\r\n\r\n');
const isStream = (c: RawClient, r: Req) => c.status === 200 && r.method !== 'HEAD' && /^text\/event-stream/.test(c.header('content-type') ?? '');

interface Figures {
  runs: number;
  requests: number;
  streams: number;
  statuses: Record<string, number>;
}

async function run(kind: 'koa' | 'plain', requests: Req[], verdicts: Array<true | false | 'reject'>, figures: Figures): Promise<void> {
  // Presence on, with events: streams with random users join and leave while the rest is fuzzed.
  const system = createSystem({ topics: TOPICS, keepAlive: 0, presence: { topics: ['a', 'news.*'], events: true, batchMs: 0 } });
  NOTIFIED.forEach((id, n) => system.notify({ id, topic: TOPICS[n % 2] as string, data: { data: id } }));
  const slow: Array<() => void> = [];
  const rejections: unknown[] = [];
  const server = serve(kind, system, slow, verdicts, rejections);
  server.headersTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clients: RawClient[] = [];
  const destroyed = new Set<RawClient>();
  try {
    for (const r of requests) {
      const bytes = bytesOf(r);
      const client = new RawClient(port, r.disconnect === 'partial' ? bytes.subarray(0, r.cut % bytes.length) : bytes);
      clients.push(client);
      if (r.disconnect === 'partial' || r.disconnect === 'after-write') {
        client.socket.once('connect', () => setImmediate(() => client.destroy()));
        destroyed.add(client);
      } else if (r.disconnect === 'half-close') client.socket.end();
      else if (r.disconnect === 'after-head') {
        destroyed.add(client);
        void client.until(headComplete, 10_000).then(() => client.destroy(), () => undefined);
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
    // Slow verdicts arrive now, racing the disconnects above; then later ones as they come.
    const settleSlow = () => slow.splice(0).forEach((settle) => settle());
    await eventually(() => {
      settleSlow();
      return clients.every((c) => c.closed || headComplete(c));
    }, 10_000, 'every socket to be answered or closed');
    settleSlow();
    // Every stream is counted, and only those.
    const streaming = () => clients.filter((c, i) => !c.closed && !destroyed.has(c) && isStream(c, requests[i] as Req));
    await eventually(() => system.snapshot().connections.length === streaming().length, 10_000, `snapshot() to count ${streaming().length} streams`);
    figures.streams += streaming().length;
    // Presence counts exactly the streams with a valid user on 'a' (this node's view and the store's).
    const onA = system.snapshot().connections.filter((c) => c.user !== null && c.topics.includes('a'));
    const occupancy = await system.occupancy('a');
    if (occupancy.connections !== onA.length || occupancy.users !== new Set(onA.map((c) => c.user?.id)).size) {
      throw new Error(`occupancy('a') ${JSON.stringify(occupancy)} but ${onA.length} streams with a user on it`);
    }
    for (const c of clients) {
      const key = c.status === 0 ? 'closed without answer' : String(c.status) + (process.env.FUZZ_DEBUG ? ` ${c.body.slice(0, 60)}` : '');
      figures.statuses[key] = (figures.statuses[key] ?? 0) + 1;
    }
    figures.requests += requests.length;
    await system.stop({ timeoutMs: 2000 });
    if (system.snapshot().connections.length !== 0) throw new Error('stop() left connections');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await eventually(() => clients.every((c) => c.closed), 10_000, 'every socket to close after stop() and server.close()');
    if (rejections.length > 0) throw new Error(`ctx.sse() rejected: ${String(rejections[0])}`);
  } finally {
    for (const c of clients) c.destroy();
    server.closeAllConnections();
    if (!system.stopped) await system.stop({ timeoutMs: 100 });
  }
}

for (const kind of ['koa', 'plain'] as const) {
  test(`HTTP fuzz (${kind}): nothing a client sends crashes, hangs or leaves a stream uncounted`, async (t) => {
    const watch = watchProcess();
    t.teardown(watch.stop);
    const figures: Figures = { runs: 0, requests: 0, streams: 0, statuses: {} };
    await fc.assert(
      fc.asyncProperty(scenario, async ({ requests, slow }) => {
        figures.runs += 1;
        await run(kind, requests, slow, figures);
        if (watch.seen.length > 0) throw new Error(`unhandled: ${String(watch.seen[0])}`);
      }),
      { numRuns: RUNS, seed: SEED + (kind === 'koa' ? 0 : 1), endOnFailure: true },
    );
    t.log(`seed ${SEED + (kind === 'koa' ? 0 : 1)}: ${figures.runs} runs, ${figures.requests} requests, ${figures.streams} streams; statuses ${JSON.stringify(figures.statuses)}`);
    t.deepEqual(watch.seen, []);
    t.is(figures.runs, RUNS);
  });
}
