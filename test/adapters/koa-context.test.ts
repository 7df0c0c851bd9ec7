import test from 'ava';
import type Koa from 'koa';
import { createRequire } from 'node:module';
import { setImmediate as tick } from 'node:timers/promises';
import { createSystem, sse } from '../../src/index.ts';
import { SseClient, eventually, startServer } from '../helpers/sse-client.ts';

// Koa's own dependency, as a logger middleware would use it.
const onFinished = createRequire(import.meta.url)('on-finished') as (res: unknown, listener: () => void) => void;
const gc = (globalThis as { gc?: () => void }).gc;

async function collect(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc (package.json ava nodeArguments has it)');
  for (let i = 0; i < 6; i++) {
    gc();
    await tick(); // weak references settle between passes
  }
}

test('an open stream holds no Koa context: the context is collected while the stream still delivers, and another middleware’s on-finished listener still fires', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  let ref: WeakRef<object> | undefined;
  let finished = 0;
  const server = await startServer(system, (app: Koa) => {
    app.use(async (ctx, next) => {
      onFinished(ctx.res, () => void (finished += 1)); // a logger-style listener, added after Koa's own
      await next();
    });
    app.use((ctx) => {
      ref = new WeakRef(ctx);
      return ctx.sse('news', { data: 'hi' });
    });
  });
  try {
    const client = await SseClient.connect(`${server.url}/x`);
    await client.untilEvents(1);
    await collect();
    t.is(ref?.deref(), undefined, 'the Koa context is no longer reachable from the open stream');
    system.notify({ id: 1, topic: 'news', data: { data: 'after gc' } });
    await client.untilEvents(2);
    t.deepEqual(client.events.map((e) => e.data.join('\n')), ['hi', 'after gc']);
    t.is(finished, 0);
    client.close();
    await eventually(() => finished === 1, 5000, 'the other on-finished listener');
    t.is(finished, 1);
    await eventually(() => system.snapshot().connections.length === 0, 5000, 'released');
  } finally {
    await system.stop();
    await server.close();
  }
});

/** The listeners ee-first adds for on-finished (all named `onevent`) on a response and its socket. */
function onFinishedListeners(res: import('node:http').ServerResponse): Record<string, number> {
  const count = (emitter: NodeJS.EventEmitter, event: string) => emitter.listeners(event).filter((listener) => listener.name === 'onevent').length;
  const socket = res.socket as NodeJS.EventEmitter;
  return { end: count(res, 'end'), finish: count(res, 'finish'), error: count(socket, 'error'), close: count(socket, 'close') };
}

test('with only Koa watching, an open stream leaves on-finished nothing to hold: its listeners come off, and a later onFinished still fires when the client leaves', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  let before: Record<string, number> | undefined;
  let after: Record<string, number> | undefined;
  let watched: unknown = 'unread';
  let res: import('node:http').ServerResponse | undefined;
  let finished = 0;
  let ref: WeakRef<object> | undefined;
  const server = await startServer(system, (app: Koa) => {
    app.use(async (ctx) => {
      ref = new WeakRef(ctx);
      res = ctx.res;
      before = onFinishedListeners(ctx.res);
      const id = await ctx.sse('news', { data: 'hi' });
      after = onFinishedListeners(ctx.res);
      watched = (ctx.res as { __onFinished?: unknown }).__onFinished;
      if (id !== null) onFinished(ctx.res, () => void (finished += 1)); // added once the stream is open
    });
  });
  try {
    const client = await SseClient.connect(`${server.url}/x`);
    await client.untilEvents(1);
    t.deepEqual(before, { end: 1, finish: 1, error: 1, close: 1 }, 'Koa had on-finished watch the response and its socket');
    t.deepEqual(after, { end: 0, finish: 0, error: 0, close: 0 });
    t.is(watched, undefined);
    t.deepEqual(onFinishedListeners(res!), { end: 1, finish: 1, error: 1, close: 1 }, 'the later onFinished watches afresh');
    system.notify({ id: 1, topic: 'news', data: { data: 'still here' } });
    await client.untilEvents(2);
    t.deepEqual(client.events.map((e) => e.data.join('\n')), ['hi', 'still here']);
    t.is(finished, 0);
    await collect();
    t.is(ref?.deref(), undefined, 'the Koa context is no longer reachable from the open stream');
    client.close();
    await eventually(() => finished === 1, 5000, 'the later on-finished listener');
    t.is(finished, 1);
    await eventually(() => system.snapshot().connections.length === 0, 5000, 'released');
  } finally {
    await system.stop();
    await server.close();
  }
});

/**
 * Opens one stream through a Koa app that `configure` sets up further (with `before` run ahead of
 * `ctx.sse` in the route), and returns on-finished's listeners as they were once `ctx.sse` resolved.
 * The stream is closed and released before it returns.
 */
async function listenersOnceOpen(configure: (app: Koa, system: ReturnType<typeof createSystem>) => void, before: (res: import('node:http').ServerResponse) => void = () => {}): Promise<Record<string, number> | undefined> {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  let after: Record<string, number> | undefined;
  const server = await startServer(system, (app: Koa) => {
    configure(app, system);
    app.use(async (ctx) => {
      before(ctx.res);
      await ctx.sse('news', { data: 'hi' });
      after = onFinishedListeners(ctx.res);
    });
  });
  try {
    const client = await SseClient.connect(`${server.url}/x`);
    await client.untilEvents(1);
    client.close();
    await eventually(() => system.snapshot().connections.length === 0, 5000, 'released');
    return after;
  } finally {
    await system.stop();
    await server.close();
  }
}

test('with another on-finished callback waiting, an open stream keeps on-finished’s listeners for it', async (t) => {
  const logger = (res: import('node:http').ServerResponse) => onFinished(res, () => {}); // a logger-style callback, before the stream
  t.deepEqual(await listenersOnceOpen(() => {}, logger), { end: 1, finish: 1, error: 1, close: 1 });
});

test('a stream allowed by an asynchronous authorize lets go of on-finished too', async (t) => {
  const authorizing = (app: Koa, system: ReturnType<typeof createSystem>) => app.use(sse(system, { authorize: async () => true }));
  t.deepEqual(await listenersOnceOpen(authorizing), { end: 0, finish: 0, error: 0, close: 0 });
});
