import test from 'ava';
import { createSystem, type Authorize } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { RawClient, koaServer, watchProcess } from './raw.ts';

// Items 2 and 3: only `true` opens a stream; every failure of `authorize`, whatever it throws,
// is a clean answer, `ctx.sse()` never rejects, and nothing reaches the process as unhandled.

const httpError = (status: unknown, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { status, expose: true }, extra);

interface Case {
  name: string;
  /** What authorize returns (or throws, with `throws`). */
  value: () => unknown;
  throws?: boolean;
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const cases: Case[] = [
  { name: 'false', value: () => false, status: 403, body: 'Not allowed to stream "a"' },
  { name: "'false'", value: () => 'false', status: 403, body: 'Not allowed to stream "a"' },
  { name: '1', value: () => 1, status: 403, body: 'Not allowed to stream "a"' },
  { name: '{ allowed: false }', value: () => ({ allowed: false }), status: 403, body: 'Not allowed to stream "a"' },
  { name: 'undefined', value: () => undefined, status: 403, body: 'Not allowed to stream "a"' },
  { name: 'null', value: () => null, status: 403, body: 'Not allowed to stream "a"' },
  { name: 'throw undefined', value: () => undefined, throws: true, status: 500, body: 'Internal Server Error' },
  { name: 'throw null', value: () => null, throws: true, status: 500, body: 'Internal Server Error' },
  { name: "throw 'nope'", value: () => 'nope', throws: true, status: 500, body: 'Internal Server Error' },
  { name: 'throw Error', value: () => new Error('secret detail'), throws: true, status: 500, body: 'Internal Server Error' },
  { name: 'throw 401 exposed', value: () => httpError(401, 'log in first'), throws: true, status: 401, body: 'log in first' },
  { name: 'throw 401 not exposed', value: () => Object.assign(new Error('hidden'), { status: 401 }), throws: true, status: 500, body: 'Internal Server Error' },
  { name: "throw status 'UNAUTHENTICATED'", value: () => httpError('UNAUTHENTICATED', 'x'), throws: true, status: 500, body: 'Internal Server Error' },
  { name: 'throw status 1000', value: () => httpError(1000, 'x'), throws: true, status: 500, body: 'Internal Server Error' },
  { name: 'throw status 401.5', value: () => httpError(401.5, 'x'), throws: true, status: 500, body: 'Internal Server Error' },
  { name: 'throw status 302', value: () => httpError(302, 'x'), throws: true, status: 500, body: 'Internal Server Error' },
  {
    name: 'throw 401 with a safe header',
    value: () => httpError(401, 'who?', { headers: { 'WWW-Authenticate': 'Bearer' } }),
    throws: true,
    status: 401,
    body: 'who?',
    headers: { 'www-authenticate': 'Bearer' },
  },
  { name: 'throw 401 with a CRLF header', value: () => httpError(401, 'who?', { headers: { 'WWW-Authenticate': 'Bearer', 'X-Evil': 'a\r\nSet-Cookie: pwned=1' } }), throws: true, status: 401, body: 'who?' },
  { name: 'throw 401 with a bad header name', value: () => httpError(401, 'who?', { headers: { 'Bad Name': 'x' } }), throws: true, status: 401, body: 'who?' },
];

for (const mode of ['sync', 'async'] as const) {
  for (const { name, value, throws, status, body, headers } of cases) {
    test(`authorize (${mode}) ${name} → ${status}; ctx.sse() resolves null, nothing unhandled, nothing left open`, async (t) => {
      const watch = watchProcess();
      t.teardown(watch.stop);
      const system = createSystem({ topics: ['a'], keepAlive: 0 });
      const authorize = (() => {
        if (mode === 'sync') {
          if (throws) throw value();
          return value();
        }
        return throws ? Promise.reject(value()) : Promise.resolve(value());
      }) as unknown as Authorize;
      // Koa's default error listener is on: it throws on a non-Error, which must not escape.
      const srv = await koaServer(system, { authorize });
      const client = new RawClient(srv.port, 'GET /events?topics=a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await client.untilClosed(5000);
      t.is(client.status, status, client.text);
      t.is(client.body, body);
      t.false(client.text.includes('Set-Cookie'));
      t.false(client.text.includes('secret detail'));
      for (const [k, v] of Object.entries(headers ?? {})) t.is(client.header(k), v);
      if (!headers) t.is(client.header('www-authenticate'), undefined);
      const sync403 = mode === 'sync' && status === 403; // thrown synchronously for Koa to answer, as bad input is
      await eventually(() => srv.outcomes.length === (sync403 ? 0 : 1), 5000, 'the ctx.sse outcome');
      if (!sync403) t.deepEqual(srv.outcomes, [{ resolved: null }]);
      t.is(system.snapshot().connections.length, 0);
      await srv.close();
      t.deepEqual(watch.seen, []);
    });
  }
  test(`authorize (${mode}) true opens the stream`, async (t) => {
    const system = createSystem({ topics: ['a'], keepAlive: 0 });
    const srv = await koaServer(system, { authorize: () => (mode === 'sync' ? true : Promise.resolve(true)) });
    const client = new RawClient(srv.port, 'GET /events?topics=a HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.until((c) => c.status === 200, 5000, 'the head');
    await eventually(() => system.snapshot().connections.length === 1, 5000, 'the stream');
    t.deepEqual(srv.outcomes, [{ resolved: 'c0' }]);
    await srv.close();
    await client.untilClosed(5000);
  });
}

test('errors reach app.on("error") as Errors: a non-Error is wrapped with the original as cause', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await koaServer(system, { authorize: () => Promise.reject('plain string'), listenErrors: true });
  const client = new RawClient(srv.port, 'GET /events?topics=a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.untilClosed(5000);
  t.is(client.status, 500);
  t.is(srv.errors.length, 1);
  t.true(srv.errors[0] instanceof Error);
  t.is((srv.errors[0] as Error).cause, 'plain string');
  await srv.close();
});

test('a listener on app "error" that throws does not take the request down', async (t) => {
  const watch = watchProcess();
  t.teardown(watch.stop);
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await koaServer(system, { authorize: () => Promise.reject(new Error('x')) });
  srv.app.on('error', () => {
    throw new Error('listener bug');
  });
  const client = new RawClient(srv.port, 'GET /events?topics=a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.untilClosed(5000);
  t.is(client.status, 500);
  await eventually(() => srv.outcomes.length === 1, 5000, 'the outcome');
  t.deepEqual(srv.outcomes, [{ resolved: null }]);
  await srv.close();
  t.deepEqual(watch.seen, []);
});

test('a slow authorize that resolves after the client left opens nothing', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  let allow: (value: boolean) => void = () => undefined;
  const verdict = new Promise<boolean>((resolve) => (allow = resolve));
  let called = 0;
  let gone = false;
  const srv = await koaServer(system, {
    authorize: (ctx) => {
      called += 1;
      ctx.res.on('close', () => (gone = true));
      return verdict;
    },
  });
  const client = new RawClient(srv.port, 'GET /events?topics=a HTTP/1.1\r\nHost: x\r\n\r\n');
  await eventually(() => called === 1, 5000, 'authorize to be called');
  client.destroy();
  await eventually(() => gone, 5000, 'the server to see the client leave');
  allow(true);
  await eventually(() => srv.outcomes.length === 1, 5000, 'the outcome');
  t.deepEqual(srv.outcomes, [{ resolved: null }]);
  t.is(system.snapshot().connections.length, 0);
  await srv.close();
});

test('403 names the patterns as asked, never what `**` expanded to (item 4)', async (t) => {
  const system = createSystem({ topics: ['public', 'secret.plans', 'secret.salaries'], keepAlive: 0 });
  let seen: readonly string[] = [];
  const srv = await koaServer(system, {
    authorize: (_ctx, topics) => {
      seen = topics;
      return false;
    },
    listenErrors: true,
  });
  const client = new RawClient(srv.port, 'GET /events?topics=** HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.untilClosed(5000);
  t.is(client.status, 403);
  t.is(client.body, 'Not allowed to stream "**"');
  t.false(client.text.includes('secret'));
  t.deepEqual(seen, ['public', 'secret.plans', 'secret.salaries']); // authorize decides on the expansion
  t.deepEqual((srv.errors[0] as { resolved?: unknown }).resolved, ['public', 'secret.plans', 'secret.salaries']); // logs may have it
  await srv.close();
});
