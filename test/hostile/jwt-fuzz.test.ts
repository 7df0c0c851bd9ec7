import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import Koa from 'koa';
import { SignJWT } from 'jose';
import { createSystem, jwtAuthorize, sse } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { RawClient, watchProcess } from './raw.ts';

/**
 * HTTP fuzzing of `jwtAuthorize` with raw sockets: random tokens (valid for some topics, expired,
 * signed with another key, `alg: none`, malformed, huge, random bytes) in the cookie or the
 * `Authorization` header, for random topics, some clients leaving early. Each answered request gets
 * exactly what its token deserves — a stream (200) when valid and allowed, 403 when valid but not
 * allowed, 401 otherwise, with a bare body — and nothing crashes, hangs or leaves a socket or a
 * place behind. Fixed seed in `npm test`; FUZZ_RUNS and FUZZ_SEED to go further.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const SECRET = new TextEncoder().encode('fuzz-secret-of-at-least-32-bytes-long!');
const OTHER = new TextEncoder().encode('other-secret-of-at-least-32-bytes-long');
const GRANTS = ['room.*', 'news', '**'] as const;
const ASKED = ['room.a', 'room.*', 'news'] as const;

type Kind = 'valid' | 'expired' | 'wrong-key' | 'none' | 'malformed' | 'huge' | 'bytes' | 'absent';
interface Req {
  kind: Kind;
  grant: (typeof GRANTS)[number];
  asked: (typeof ASKED)[number];
  carrier: 'cookie' | 'header';
  bytes: Uint8Array;
  leave: 'never' | 'at-once' | 'after-head';
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function tokenOf(r: Req): Promise<string> {
  const sign = (key: Uint8Array, exp: number) => new SignJWT({ sse: { subscribe: [r.grant] } }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setExpirationTime(exp).sign(key);
  switch (r.kind) {
    case 'valid': return sign(SECRET, now() + 3600);
    case 'expired': return sign(SECRET, now() - 60);
    case 'wrong-key': return sign(OTHER, now() + 3600);
    case 'none': return `${b64({ alg: 'none' })}.${b64({ sub: 'u1', exp: now() + 3600, sse: { subscribe: ['**'] } })}.`;
    case 'malformed': return `${b64({ alg: 'HS256' })}.${Buffer.from(r.bytes).toString('base64url')}.x`;
    case 'huge': return `${await sign(SECRET, now() + 3600)}${'A'.repeat(9000)}`;
    // Bytes a header may carry (visible ASCII and obs-text; node's parser refuses the rest itself).
    case 'bytes': return Buffer.from(r.bytes.map((b) => (b < 0x21 || b === 0x7f ? 0x41 + (b % 26) : b))).toString('latin1');
    case 'absent': return '';
  }
}

const expected = (r: Req): number => {
  if (r.kind !== 'valid') return 401;
  const allowed = r.grant === '**' || (r.grant === 'room.*' && r.asked.startsWith('room.')) || (r.grant === 'news' && r.asked === 'news');
  return allowed ? 200 : 403;
};

const request: fc.Arbitrary<Req> = fc.record({
  kind: fc.constantFrom<Kind>('valid', 'valid', 'valid', 'expired', 'wrong-key', 'none', 'malformed', 'huge', 'bytes', 'absent'),
  grant: fc.constantFrom(...GRANTS),
  asked: fc.constantFrom(...ASKED),
  carrier: fc.constantFrom('cookie', 'header'),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  leave: fc.constantFrom('never', 'never', 'never', 'at-once', 'after-head'),
});

async function run(requests: Req[], figures: Record<string, number>): Promise<void> {
  const system = createSystem({ topics: ['room.a', 'room.b', 'news'], keepAlive: 0 });
  const app = new Koa();
  app.silent = true;
  app.use(sse(system, { authorize: jwtAuthorize({ key: SECRET, algorithms: ['HS256'] }) }));
  app.use((ctx) => ctx.sse(String(ctx.query.topics)));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clients: RawClient[] = [];
  try {
    for (const r of requests) {
      const token = await tokenOf(r);
      const carried = token === '' ? '' : r.carrier === 'cookie' ? `Cookie: sse_token=${token}\r\n` : `Authorization: Bearer ${token}\r\n`;
      const bytes = Buffer.concat([Buffer.from(`GET /events?topics=${encodeURIComponent(r.asked)} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n`), Buffer.from(carried, 'latin1'), Buffer.from('\r\n')]);
      const client = new RawClient(port, bytes);
      clients.push(client);
      if (r.leave === 'at-once') client.socket.once('connect', () => setImmediate(() => client.destroy()));
      if (r.leave === 'after-head') void client.until((c) => c.text.includes('\r\n\r\n'), 10_000).then(() => client.destroy(), () => undefined);
    }
    const answered = (c: RawClient) => c.closed || c.text.includes('\r\n\r\n');
    await eventually(() => clients.every(answered), 10_000, 'every socket answered or closed');
    const bodies: Array<Promise<void>> = [];
    clients.forEach((c, i) => {
      const r = requests[i] as Req;
      if (c.status === 0) return void (figures.left = (figures.left ?? 0) + 1); // it left before the answer
      const want = expected(r);
      if (c.status !== want) throw new Error(`${r.kind} token (${r.grant}) for ${r.asked} by ${r.carrier}: got ${c.status}, expected ${want}`);
      figures[want] = (figures[want] ?? 0) + 1;
      // A refusal's body says nothing of why (checked on the clients that stayed to read it).
      if (want !== 200 && r.leave === 'never') bodies.push(c.until((x) => x.body === (want === 401 ? 'Unauthorized' : 'Forbidden'), 10_000));
    });
    await Promise.all(bodies);
    const streaming = () => clients.filter((c, i) => c.status === 200 && !c.closed && (requests[i] as Req).leave === 'never');
    await eventually(() => system.snapshot().connections.length === streaming().length, 10_000, `snapshot() to count ${streaming().length} streams`);
    await eventually(() => system.snapshot().admitting === 0, 10_000, 'no admission held');
    await system.stop({ timeoutMs: 2000 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await eventually(() => clients.every((c) => c.closed), 10_000, 'every socket closed after stop() and server.close()');
  } finally {
    for (const c of clients) c.destroy();
    server.closeAllConnections();
    if (!system.stopped) await system.stop({ timeoutMs: 100 });
  }
}

test('JWT fuzz: every token gets exactly a stream, 401 or 403; nothing crashes, hangs or leaves a socket', async (t) => {
  const watch = watchProcess();
  t.teardown(watch.stop);
  const figures: Record<string, number> = {};
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 6 }), async (requests) => {
      runs += 1;
      await run(requests, figures);
      if (watch.seen.length > 0) throw new Error(`unhandled: ${String(watch.seen[0])}`);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  t.log(`seed ${SEED}: ${runs} runs; answers ${JSON.stringify(figures)}`);
  t.is(runs, RUNS);
  t.deepEqual(watch.seen, []);
  t.true((figures[200] ?? 0) > 0 && (figures[401] ?? 0) > 0 && (figures[403] ?? 0) > 0, 'every answer was seen');
});
