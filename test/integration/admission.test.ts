import test from 'ava';
import http from 'node:http';
import { SimulatedClock } from 'xstate';
import Koa from 'koa';
import { createSystem, sse, type Authorize, type SseSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually, get } from '../helpers/sse-client.ts';


/** Koa with `sse(system, { authorize })` and `/stream?topics=...` that awaits ctx.sse when asked to. */
async function authorizedServer(system: SseSystem, authorize: Authorize) {
  const app = new Koa();
  const errors: unknown[] = [];
  app.on('error', (error) => errors.push(error)); // replaces Koa's default logging
  app.use(sse(system, { authorize }));
  app.use((ctx) => ctx.sse(String(ctx.query.topics).split(','), { data: 'hi' }));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    errors,
    close: async () => {
      await system.stop({ timeoutMs: 1000 });
      server.closeAllConnections();
      server.close();
    },
  };
}

test('maxConnections: the next stream gets 503 with Retry-After; a slot frees on disconnect', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, maxConnections: 2, retry: 3000 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const c1 = await SseClient.connect(`${srv.url}/stream?topics=a`);
  const c2 = await SseClient.connect(`${srv.url}/stream?topics=a`);
  const refused = await get(`${srv.url}/stream?topics=a`);
  t.is(refused.status, 503);
  t.is(refused.headers['retry-after'], '3');
  t.is(refused.body, 'Too many SSE connections: the limit is 2 (maxConnections); retry later');
  t.is(system.snapshot().counters.rejected, 1);
  t.is(system.snapshot().connections.length, 2);
  c1.close();
  await eventually(() => system.snapshot().connections.length === 1);
  const c3 = await SseClient.connect(`${srv.url}/stream?topics=a&initial=in`);
  await c3.untilEvents(1);
  t.is(c3.status, 200);
  c2.close();
  c3.close();
});

for (const mode of ['sync', 'async'] as const) {
  const wrap = (value: boolean | Error): boolean | Promise<boolean> => {
    if (mode === 'sync') {
      if (value instanceof Error) throw value;
      return value;
    }
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  };

  test(`authorize (${mode}): allow streams, deny answers 403, throw answers 500 without leaking; nothing left behind`, async (t) => {
    const system = createSystem({ topics: ['public', 'secret.a', 'secret.b'], keepAlive: 0 });
    const seen: string[][] = [];
    const srv = await authorizedServer(system, (ctx, topics) => {
      seen.push([...topics]);
      if (ctx.query.boom) return wrap(new Error('database password is hunter2'));
      return wrap(!topics.some((topic) => topic.startsWith('secret.')));
    });
    t.teardown(srv.close);

    const allowed = await SseClient.connect(`${srv.url}/stream?topics=public`);
    t.is(allowed.status, 200);
    await allowed.untilEvents(1);
    t.is(allowed.raw, 'data: hi\n\n');

    const denied = await get(`${srv.url}/stream?topics=${encodeURIComponent('secret.*')}`);
    t.is(denied.status, 403);
    t.is(denied.body, 'Not allowed to stream "secret.*"'); // as asked, not what it expanded to

    const thrown = await get(`${srv.url}/stream?topics=public&boom=1`);
    t.is(thrown.status, 500);
    t.is(thrown.body, 'Internal Server Error');
    t.false(thrown.body.includes('hunter2'));
    const unknown = await get(`${srv.url}/stream?topics=nope`);
    t.is(unknown.status, 400);
    // Reported to app.on('error') as Koa reports errors; only the exposed ones reach the client.
    t.deepEqual(
      srv.errors.map((e) => `${(e as Error).name}: ${(e as Error).message}`),
      ['ForbiddenError: Not allowed to stream "secret.*"', 'Error: database password is hunter2', 'UnknownTopicError: Unknown SSE topic "nope": register it in createSystem({ topics })'],
    );
    t.deepEqual(seen, [['public'], ['secret.a', 'secret.b'], ['public']]); // never called for an unknown topic

    await eventually(() => system.snapshot().connections.length === 1);
    const snap = system.snapshot();
    t.deepEqual(snap.topics.map((x) => x.subscribers), [1, 0, 0]);
    t.deepEqual(snap.timers, { keepAlive: 0, deadlines: 0 });
    allowed.close();
  });
}

test('maxLifetimeMs: a stream ends gracefully after its (jittered) lifetime with a retry hint; the others live on', async (t) => {
  const clock = new SimulatedClock();
  const system = createSystem({ topics: ['a'], keepAlive: 0, clock, maxLifetimeMs: 10_000, lifetimeJitterMs: 1000, retry: 500 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const first = await SseClient.connect(`${srv.url}/stream?topics=a&initial=1`);
  await first.untilEvents(1);
  clock.increment(5000);
  const second = await SseClient.connect(`${srv.url}/stream?topics=a&initial=2`);
  await second.untilEvents(1);
  t.is(system.snapshot().timers.deadlines, 2);
  clock.increment(4000); // t=9000: the first may end between 9000 and 10000
  system.notify({ id: 1, topic: 'a', data: { data: 'x' } });
  clock.increment(1000); // t=10000: the first has ended
  await first.untilEnded(5000);
  t.regex(first.raw, /^retry: 500\n\ndata: 1\n\n(id: 1\ndata: x\n\n)?retry: (\d+)\n\n$/);
  const hint = Number(/retry: (\d+)\n\n$/.exec(first.raw)?.[1]);
  t.true(hint >= 500 && hint <= 1000, `retry hint ${hint} between retry and 2×retry`);
  await eventually(() => system.snapshot().connections.length === 1);
  t.is(second.ended, false);
  t.is(system.snapshot().counters.lifetimeEnded, 1);
  clock.increment(5000); // t=15000: the second (connected at 5000) has ended too
  await second.untilEnded(5000);
  await eventually(() => system.snapshot().connections.length === 0);
  t.deepEqual(system.snapshot().timers, { keepAlive: 0, deadlines: 0 });
});

test('204 tells a browser to stop reconnecting: the documented route shape answers it', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await startServer(system, (app) => {
    app.use(async (ctx, next) => {
      if (ctx.query.done) {
        ctx.status = 204; // EventSource closes for good on 204
        return;
      }
      await next();
    });
  });
  t.teardown(srv.close);
  const res = await get(`${srv.url}/stream?topics=a&done=1`);
  t.is(res.status, 204);
  t.deepEqual(system.snapshot().connections, []);
});
