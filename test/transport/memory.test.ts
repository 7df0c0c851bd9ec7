import test from 'ava';
import { createSystem, memoryTransport, type SystemSnapshot } from '../../src/index.ts';

test('the memory transport delivers synchronously: notify returns undefined and the event is in history at once', async (t) => {
  const transport = memoryTransport();
  const system = createSystem({ topics: ['a', 'b'], transport, node: 'n1', keepAlive: 0 });
  await system.ready();
  t.is(system.notify({ id: 1, topic: 'a', data: { data: 'x' } }), undefined);
  system.notify({ id: 2, topic: 'a', data: { data: 'y' } });
  const snap: SystemSnapshot = system.snapshot();
  t.is(snap.node, 'n1');
  t.deepEqual(snap.transport, { kind: 'memory', state: 'connected', lagMs: 0, pending: 0 });
  t.deepEqual(snap.topics.map((x) => x.history), [2, 0]);
  t.deepEqual(snap.events.topics, { a: { notified: 2, delivered: 0 }, b: { notified: 0, delivered: 0 } });
  t.is(snap.events.notified, 2);
  await system.stop();
  t.is(system.snapshot().transport.state, 'stopped');
});

test('one memory transport serves one system: a second system on it throws at once', (t) => {
  const transport = memoryTransport();
  createSystem({ topics: ['a'], transport });
  t.throws(() => createSystem({ topics: ['a'], transport }), { message: /already serves a system/ });
});
