import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

test('every listener sse-actors adds to a response is removed when the client goes', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 1000 });
  const responses: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    responses.push(res);
    system.stream(req, res, ['t'], { data: 'hi' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const events = ['drain', 'close', 'error'] as const;
  for (let round = 0; round < 10; round++) {
    const clients = await Promise.all(Array.from({ length: 100 }, () => SseClient.connect(url)));
    await Promise.all(clients.map((c) => c.untilEvents(1)));
    const open = responses.slice(-100);
    // While streaming it listens to close and error; drain only once a write has pushed back.
    t.true(open.every((res) => res.listenerCount('close') >= 1 && res.listenerCount('error') >= 1 && res.listenerCount('drain') === 0), 'while streaming, sse-actors listens');
    for (const c of clients) c.close();
    await eventually(() => system.snapshot().connections.length === 0, 10_000, 'all gone');
  }
  t.is(responses.length, 1000);
  const left = responses.map((res) => events.map((e) => res.listenerCount(e)).join('/')).filter((counts) => counts !== '0/0/0');
  t.deepEqual(left, [], 'no drain/close/error listener left on any of the 1,000 responses');
  t.deepEqual(system.snapshot().timers, { keepAlive: 0, deadlines: 0 });
});

test('stop() with 1,000 open streams resolves and every client sees its stream end', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0 }); // no keep-alive comments in the exact bytes below
  const srv = await startServer(system);
  t.teardown(srv.close);
  const clients: SseClient[] = [];
  for (let i = 0; i < 10; i++) {
    clients.push(...(await Promise.all(Array.from({ length: 100 }, () => SseClient.connect(`${srv.url}/stream?topics=t&initial=hi`)))));
  }
  await Promise.all(clients.map((c) => c.untilEvents(1)));
  await eventually(() => system.snapshot().connections.length === 1000);
  system.notify({ id: 'last', topic: 't', data: { data: 'bye' } });
  const started = performance.now();
  await system.stop({ timeoutMs: 10_000 });
  t.log(`stop() with 1,000 streams: ${(performance.now() - started).toFixed(0)} ms`);
  await Promise.all(clients.map((c) => c.untilEnded(10_000)));
  t.true(clients.every((c) => /^data: hi\n\nid: last\ndata: bye\n\nretry: \d+\n\n$/.test(c.raw)), 'each got the queued event, a retry hint, then the end');
  const snap = system.snapshot();
  t.deepEqual([snap.status, snap.connections.length, snap.timers], ['stopped', 0, { keepAlive: 0, deadlines: 0 }]);
});

test('a released connection lets go of its response and its actor (a handle the GC promoted keeps neither alive)', async (t) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return t.fail('the suite runs with --expose-gc');
  // The inspector hands out each connection's context, so the test can keep the handle itself alive.
  const handles: Array<{ sink: unknown; actor: unknown }> = [];
  const system = createSystem({
    topics: ['t'],
    keepAlive: 1000,
    inspect: (e) => {
      if (e.type !== '@xstate.snapshot') return;
      const context = (e.snapshot as { context?: { handle?: { sink: unknown; actor: unknown } } }).context;
      if (context?.handle && !handles.includes(context.handle)) handles.push(context.handle);
    },
  });
  let response: WeakRef<http.ServerResponse> | undefined;
  const server = http.createServer((req, res) => {
    response = new WeakRef(res);
    system.stream(req, res, ['t'], { data: 'hi' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const client = await SseClient.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await client.untilEvents(1);
  t.is(handles.length, 1);
  const actor = new WeakRef(handles[0]?.actor as object);
  client.close();
  await eventually(() => system.snapshot().connections.length === 0, 10_000, 'connection gone');
  // Let node finish tearing the socket down, then collect.
  await eventually(() => {
    gc();
    return response?.deref() === undefined && actor.deref() === undefined;
  }, 10_000, 'response and actor collected while the handle is still held');
  t.is((handles[0]?.sink as { closed: boolean }).closed, true);
  t.is(handles[0]?.actor, undefined);
});
