import test from 'ava';
import type Koa from 'koa';
import { createRequire } from 'node:module';
import { setImmediate as tick } from 'node:timers/promises';
import { createSystem } from '../../src/index.ts';
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
