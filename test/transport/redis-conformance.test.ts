import test from 'ava';
import { redisTransport } from '../../src/index.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { conformance } from './conformance.ts';

// The shared Redis at 127.0.0.1:6379 (started before tests; see DEVELOPERS.md): every test uses its own prefix and deletes its keys.
conformance(test, 'redis', {
  nodes: 3,
  make: (bus) => redisTransport({ url: 'redis://127.0.0.1:6379', prefix: bus, blockMs: 1000 }),
  cleanup: (bus) => deleteKeys(6379, bus),
});
