import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { createSystem, redisTransport, DEFAULT_REDIS_TRANSPORT } from '../../src/index.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { eventually } from '../helpers/sse-client.ts';
import { keySlot, streamKey, topicOfKey } from '../../src/transport/redis-keys.ts';

const run = promisify(execFile);

test('a topic is its stream key\'s hash tag: one slot per topic (Redis Cluster\'s CRC16 mod 16384)', (t) => {
  t.is(streamKey('app:', 'prices'), 'app:{prices}');
  t.is(topicOfKey('app:', 'app:{prices}'), 'prices');
  t.is(topicOfKey('app:', 'other:{prices}'), undefined);
  // Known slots (CLUSTER KEYSLOT): "a" → 15495, "123456789" → 12739; a tag decides alone.
  t.is(keySlot('a'), 15495);
  t.is(keySlot('123456789'), 12739);
  t.is(keySlot('x:{a}'), keySlot('y:{a}'));
});

test('bad options throw at once, saying which', (t) => {
  t.throws(() => redisTransport({ url: 'redis://127.0.0.1:6379', cluster: { rootNodes: [] } }), { message: /one of url, client and cluster/ });
  t.throws(() => redisTransport({ publish: { concurrency: 0 } }), { message: /publish\.concurrency must be an integer ≥ 1, got 0/ });
  t.is(DEFAULT_REDIS_TRANSPORT.publish.timeoutMs, 2000);
});

test('a node-redis client of your own: notify returns a promise, the client stays open after stop', async (t) => {
  const prefix = `redis-test:${process.pid}:`;
  const client = createClient({ url: 'redis://127.0.0.1:6379' });
  await client.connect();
  t.teardown(async () => {
    await deleteKeys(6379, prefix);
    client.destroy();
  });
  const system = createSystem({ topics: ['a'], keepAlive: 0, transport: redisTransport({ client, prefix }) });
  await system.ready();
  const result: Promise<void> = system.notify({ topic: 'a', id: 1, data: { data: 'x' } });
  await result;
  await eventually(() => system.snapshot().topics[0]?.history === 1, 5000, 'the event back from Redis');
  t.like(system.snapshot().transport, { kind: 'redis', state: 'connected', pending: 0 });
  await system.stop();
  t.is(system.snapshot().transport.state, 'stopped');
  t.is(client.isOpen, true);
  t.is(await client.xLen(`${prefix}{a}`), 1);
});

test('without the redis package: the memory transport works, and a Redis transport fails ready() saying npm install redis', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--import', fileURLToPath(new URL('../fixtures/without-redis.mjs', import.meta.url)), fileURLToPath(new URL('../fixtures/redis-missing.ts', import.meta.url))], { timeout: 60_000 });
  t.is(stdout, 'TransportError: redis transport: the "redis" package (node-redis 5) is not installed: npm install redis\n');
});
