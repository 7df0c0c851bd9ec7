import test from 'ava';
import Koa from 'koa';
import { once } from 'node:events';
import http from 'node:http';
import { createSystem, sse, InvalidUserError, MAX_USER_INFO_BYTES, type SseUser } from '../../src/index.ts';
import { SseClient, eventually, get, startServer } from '../helpers/sse-client.ts';

test('ctx.sse(topics, initial, { user }) keeps the user on the connection: snapshot() shows a frozen copy', async (t) => {
  const system = createSystem({ topics: ['room.a'], keepAlive: 0 });
  const server = await startServer(system, (app: Koa) => app.use((ctx) => ctx.sse('room.a', undefined, { user: { id: 'u1', info: { name: 'Ada' } } })));
  try {
    const client = await SseClient.connect(`${server.url}/x`);
    await eventually(() => system.snapshot().connections.length === 1, 5000, 'the stream');
    t.deepEqual(system.snapshot().connections[0]?.user, { id: 'u1', info: { name: 'Ada' } });
    client.close();
    await eventually(() => system.snapshot().connections.length === 0, 5000, 'released');
  } finally {
    await system.stop();
    await server.close();
  }
});

test('system.stream(…, { user }) and an anonymous stream: user is null when nobody said', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  const server = http.createServer((req, res) => {
    const user = req.url === '/me' ? { id: 'u2' } : undefined;
    system.stream(req, res, 'news', undefined, { user });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const a = await SseClient.connect(`http://127.0.0.1:${port}/me`);
    const b = await SseClient.connect(`http://127.0.0.1:${port}/anon`);
    await eventually(() => system.snapshot().connections.length === 2, 5000, 'two streams');
    t.deepEqual(system.snapshot().connections.map((c) => c.user).sort((x, y) => (x === null ? 1 : y === null ? -1 : 0)), [{ id: 'u2' }, null]);
    a.close();
    b.close();
  } finally {
    await system.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const bad: Array<[string, unknown, RegExp]> = [
  ['not an object', 'u1', /user must be an object/],
  ['an empty id', { id: '' }, /user\.id must be 1 to 256 characters long, got 0/],
  ['a numeric id', { id: 7 }, /user\.id must be a string, got number/],
  ['a long id', { id: 'x'.repeat(257) }, /got 257/],
  ['huge info', { id: 'u', info: 'x'.repeat(MAX_USER_INFO_BYTES) }, /user\.info must be at most 4096 bytes as JSON, got 4098/],
  ['a function as info', { id: 'u', info: () => 1 }, /user\.info must be a JSON value, got function/],
];

for (const [what, user, message] of bad) {
  test(`a user with ${what} is a typed 400 through Koa, nothing streamed, no place held`, async (t) => {
    const system = createSystem({ topics: ['news'], keepAlive: 0 });
    const errors: unknown[] = [];
    const server = await startServer(system, (app: Koa) => {
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          errors.push(error);
          throw error;
        }
      });
      app.use((ctx) => ctx.sse('news', undefined, { user: user as SseUser }));
    });
    try {
      const answer = await get(`${server.url}/x`, { accept: 'text/event-stream' });
      t.is(answer.status, 400);
      t.regex(answer.body, message);
      t.true(errors[0] instanceof InvalidUserError);
      t.is(system.snapshot().connections.length, 0);
      t.is(system.snapshot().admitting, 0);
    } finally {
      await system.stop();
      await server.close();
    }
  });
}

test('an authorize grant sets the user and ends the stream at expiresAt with a jittered retry', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  const app = new Koa();
  app.use(sse(system, { authorize: async () => ({ user: { id: 'jwt-sub' }, expiresAt: Date.now() + 300 }) }));
  app.use((ctx) => ctx.sse('news'));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  try {
    const client = await SseClient.connect(`http://127.0.0.1:${port}/x`);
    await eventually(() => system.snapshot().connections.length === 1, 5000, 'the stream');
    t.deepEqual(system.snapshot().connections[0]?.user, { id: 'jwt-sub' });
    await client.untilEnded(10_000);
    const retry = Number(/retry: (\d+)\n\n$/.exec(client.raw)?.[1]);
    t.true(retry >= 1000 && retry <= 2000, `a jittered retry between 1000 and 2000 ms ends the stream, got ${client.raw}`);
    await eventually(() => system.snapshot().connections.length === 0, 5000, 'released');
    t.is(system.snapshot().counters.lifetimeEnded, 1);
  } finally {
    await system.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a grant with a bad user is a 400 and holds no place; a non-grant object still denies (403)', async (t) => {
  for (const [verdict, status] of [[{ user: { id: '' } }, 400], [{ ok: true }, 403]] as const) {
    const system = createSystem({ topics: ['news'], keepAlive: 0 });
    const app = new Koa();
    app.silent = true;
    app.use(sse(system, { authorize: () => verdict as never }));
    app.use((ctx) => ctx.sse('news'));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const answer = await get(`http://127.0.0.1:${port}/x`, { accept: 'text/event-stream' });
      t.is(answer.status, status);
      t.is(system.snapshot().admitting, 0);
      t.is(system.snapshot().connections.length, 0);
    } finally {
      await system.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }
});
