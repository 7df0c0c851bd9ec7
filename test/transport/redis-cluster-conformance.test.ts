import test from 'ava';
import { redisTransport } from '../../src/index.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { RedisCluster } from '../helpers/redis-servers.ts';
import { conformance } from './conformance.ts';

// A private 3-master cluster for this file; stopped (and its dirs removed) whatever the tests do.
let cluster: RedisCluster | undefined;
test.before(async () => {
  cluster = await RedisCluster.start();
});
test.after.always(async () => {
  await cluster?.stop();
});

conformance(test, 'redis cluster', {
  nodes: 3,
  make: (bus) => redisTransport({ cluster: { rootNodes: cluster?.rootNodes ?? [] }, prefix: bus, blockMs: 1000 }),
  cleanup: async (bus) => {
    for (const server of cluster?.servers ?? []) await deleteKeys(server.port, bus);
  },
});
