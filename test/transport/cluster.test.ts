import test from 'ava';
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { ClusterSetupError, DEFAULT_CLUSTER_TRANSPORT, TransportError, clusterPrimary, clusterTransport, createSystem } from '../../src/index.ts';
import { ChannelLog } from '../../src/transport/cluster-wire.ts';

// Serial: the middle tests make this process the primary, the first must run before.

test.serial('in a process that is neither a worker nor a set-up primary, clusterTransport() throws ClusterSetupError saying what to call', (t) => {
  t.throws(() => clusterTransport(), { instanceOf: ClusterSetupError, message: /neither a node:cluster worker nor a primary that called clusterPrimary\(\)/ });
});

test.serial('bad options throw at once, saying which; clusterPrimary() twice throws', async (t) => {
  const primary = clusterPrimary();
  t.teardown(() => primary.stop());
  t.throws(() => clusterPrimary(), { instanceOf: ClusterSetupError, message: /already is the cluster primary/ });
  t.throws(() => clusterTransport({ channel: '' }), { message: /channel must be a non-empty string/ });
  t.throws(() => clusterTransport({ publish: { timeoutMs: 0 } }), { message: /publish\.timeoutMs must be an integer ≥ 1, got 0/ });
  t.throws(() => clusterPrimary({ workers: -1 }), { instanceOf: ClusterSetupError });
  t.is(DEFAULT_CLUSTER_TRANSPORT.channel, 'sse-actors');
});

test.serial('systems in the primary share a channel (and not another): notify returns a promise, every one delivers once, history is restored to a late joiner', async (t) => {
  const primary = clusterPrimary();
  const options = { topics: ['a'], keepAlive: 0, history: { size: 2, ttlMs: 0 } };
  const one = createSystem({ ...options, transport: clusterTransport({ channel: 'x' }) });
  const two = createSystem({ ...options, transport: clusterTransport({ channel: 'x' }) });
  const other = createSystem({ ...options, transport: clusterTransport({ channel: 'y' }) });
  t.teardown(async () => {
    for (const system of [one, two, other]) await system.stop();
    await primary.stop();
  });
  await Promise.all([one.ready(), two.ready(), other.ready()]);
  const result: Promise<void> = one.notify({ topic: 'a', id: 1, data: { data: 'x' } });
  await result;
  for (const id of [2, 3]) await two.notify({ topic: 'a', id, data: { data: 'x' } });
  const history = (system: typeof one) => system.snapshot().topics[0]?.history;
  t.deepEqual([history(one), history(two), history(other)], [2, 2, 0]);
  t.deepEqual([one.snapshot().events.notified, two.snapshot().events.notified], [1, 2]);
  t.like(one.snapshot().transport, { kind: 'cluster', state: 'connected', pending: 0 });
  const late = createSystem({ ...options, transport: clusterTransport({ channel: 'x' }) });
  await late.ready();
  t.is(history(late), 2, 'the newest history.size events, from the primary');
  await late.stop();
  t.is(late.snapshot().transport.state, 'stopped');
  const unstarted = clusterTransport({ channel: 'x' });
  await t.throwsAsync(unstarted.publish({ topic: 'a', id: '9', text: 'id: 9\ndata: x\n\n', publishedAt: Date.now() }), { instanceOf: TransportError, message: /has not joined the primary yet/ });
  t.like(primary.status(), { workers: 0, replaced: 0, gaveUp: false });
  t.deepEqual(primary.status().channels.map((c) => [c.channel, c.logged]), [['x', 2], ['y', 0]]);
});

test.serial('a worker whose primary did not call clusterPrimary(): ready() rejects with TransportError after joinTimeoutMs', async (t) => {
  cluster.setupPrimary({ exec: fileURLToPath(new URL('../fixtures/cluster-alone.ts', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const worker = cluster.fork();
  t.teardown(() => void worker.process.kill('SIGKILL'));
  // The worker's own join request shows here too (the primary sees every message): wait for the verdict.
  const message = await new Promise<{ type: string; name: string; message: string; state: string }>((resolve) =>
    worker.on('message', (m: { type: string; name: string; message: string; state: string }) => void (m.type === 'failed' || m.type === 'ready' ? resolve(m) : undefined)),
  );
  t.like(message, { type: 'failed', name: 'TransportError', state: 'reconnecting' });
  t.regex(message.message, /no answer from the cluster primary within joinTimeoutMs \(300 ms\): call clusterPrimary\(\) in the primary/);
});

test('the primary\'s log keeps per topic the newest events (the largest size asked), restores by the joiner\'s bounds in the one order', (t) => {
  const log = new ChannelLog();
  log.widen({ size: 2, ttlMs: 0 });
  log.widen({ size: 3, ttlMs: 0 });
  const at = (topic: string, id: string, publishedAt: number) => ({ topic, id, text: `id: ${id}\n\n`, publishedAt });
  for (let n = 1; n <= 10; n++) log.append(at(n % 2 ? 'a' : 'b', `${n}`, n * 100));
  t.is(log.length, 6);
  t.deepEqual(log.restore({ size: 3, ttlMs: 0 }, 1000).map((m) => m.id), ['5', '6', '7', '8', '9', '10']);
  t.deepEqual(log.restore({ size: 1, ttlMs: 0 }, 1000).map((m) => m.id), ['9', '10']);
  t.deepEqual(log.restore({ size: 3, ttlMs: 250 }, 1000).map((m) => m.id), ['8', '9', '10'], 'younger than ttlMs only');
});
