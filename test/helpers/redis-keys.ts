import { cli } from './redis-servers.ts';

/** Deletes every key under `prefix` on the Redis listening on `port` (each master, on a Cluster). */
export async function deleteKeys(port: number, prefix: string): Promise<void> {
  const keys = (await cli(port, '--scan', '--pattern', `${prefix}*`)).split('\n').filter((key) => key !== '');
  // One DEL per key: on a Cluster master every key of a DEL must share a slot.
  for (const key of keys) await cli(port, 'del', key);
}
