import test from 'ava';
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { clusterPrimary, clusterTransport } from '../../src/index.ts';
import type { PresenceChange } from '../../src/transport/presence-types.ts';
import { eventually } from '../helpers/sse-client.ts';

// This ava process is the primary, with a presence store of its own; two workers
// (test/fixtures/cluster-presence-node.ts) hold stores too. Waits are for messages, with deadlines.

test('a worker SIGKILLed: its users leave at once, each leave announced by exactly one surviving store', async (t) => {
  process.env.CHANNEL = `presence-crash:${process.pid}`;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('../fixtures/cluster-presence-node.ts', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = new Map<number, Worker>();
  const reaped: PresenceChange[] = [];
  const primary = clusterPrimary({
    workers: 2,
    onFork: (worker) =>
      worker.on('message', (message: { type: string; id?: number; changes?: PresenceChange[] }) => {
        if (message.type === 'ready') ready.set(message.id ?? 0, worker);
        if (message.type === 'reaped') reaped.push(...(message.changes ?? []));
      }),
  });
  const transport = clusterTransport({ channel: process.env.CHANNEL });
  t.teardown(async () => {
    await transport.stop();
    await primary.stop();
  });
  await transport.start({ topics: [], history: { size: 0, ttlMs: 0 }, deliver: () => undefined, restore: () => undefined, stateChanged: () => undefined });
  const store = transport.presence();
  await store.start({ node: 'primary', ttlMs: 1000, reaped: (changes) => void reaped.push(...changes), disconnect: () => 0 });
  await eventually(() => ready.size === 2, 30_000, 'two workers with their stores');
  t.deepEqual(await store.occupancy('room.a'), { users: 3, connections: 4 });

  const [victimId, victim] = [...ready][0] as [number, Worker];
  const killedAt = Date.now();
  victim.process.kill('SIGKILL');
  await eventually(() => reaped.length >= 1, 10_000, 'the dead worker\'s leave');
  t.log(`the dead worker's user left ${Date.now() - killedAt} ms after SIGKILL`);
  // Its replacement (worker 3) joins as it starts; then the table holds the survivor's and the replacement's users.
  await eventually(() => ready.size === 3, 30_000, 'the replacement worker');
  t.deepEqual(await store.list('room.a'), [{ id: 'shared', connections: 2 }, ...[...ready.keys()].filter((id) => id !== victimId).map((id) => ({ id: `w${id}`, connections: 1 }))].sort((a, b) => (a.id < b.id ? -1 : 1)));
  t.deepEqual(reaped, [{ type: 'leave', topic: 'room.a', id: `w${victimId}` }]);
});
