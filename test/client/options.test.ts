import test from 'ava';
import { backoffDelay, settle } from '../../src/client/options.ts';

const bounds = { minMs: 100, maxMs: 1000 };

test('backoff: full jitter between minMs and a ceiling that doubles per failure up to maxMs', (t) => {
  t.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, bounds, 0, () => 0)), [100, 100, 100, 100, 100]);
  t.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, bounds, 0, () => 1)), [200, 400, 800, 1000, 1000]);
  t.is(backoffDelay(2, bounds, 0, () => 0.5), 250);
});

test('backoff: the server’s retry: lifts the range instead of flattening it', (t) => {
  t.is(backoffDelay(1, bounds, 300, () => 1), 300); // the ceiling (200) is below the floor
  t.deepEqual([0, 0.5, 1].map((r) => backoffDelay(3, bounds, 300, () => r)), [300, 550, 800]);
  t.is(backoffDelay(9, bounds, 5000, () => 0.5), 5000); // a floor above maxMs wins
});

test('settle: defaults resolved for Node (no EventSource, no Web Locks, no storage)', (t) => {
  t.deepEqual(settle('http://127.0.0.1:1/s'), {
    url: 'http://127.0.0.1:1/s',
    withCredentials: false,
    share: false,
    storage: false,
    headers: {},
    credentials: 'same-origin',
    transport: 'fetch',
    minMs: 1000,
    maxMs: 30_000,
  });
  t.like(settle('http://x/s', { withCredentials: true, transport: 'eventsource' }), { credentials: 'include', transport: 'eventsource' });
  t.throws(() => settle('/relative'), { instanceOf: TypeError }); // Node has no page to resolve against
});
