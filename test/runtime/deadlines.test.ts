import test from 'ava';
import { SimulatedClock } from 'xstate';
import { Deadlines } from '../../src/runtime/deadlines.ts';
import { IndexedHeap, type HeapItem } from '../../src/runtime/heap.ts';

test('deadlines fire in time order on the clock, each once; size counts the pending ones', (t) => {
  const clock = new SimulatedClock();
  const deadlines = new Deadlines(clock);
  const fired: string[] = [];
  deadlines.schedule(300, () => fired.push('c'));
  deadlines.schedule(100, () => fired.push('a'));
  deadlines.schedule(200, () => fired.push('b'));
  t.is(deadlines.size, 3);
  clock.increment(150);
  t.deepEqual(fired, ['a']);
  clock.increment(200);
  t.deepEqual(fired, ['a', 'b', 'c']);
  t.is(deadlines.size, 0);
});

test('cancel removes a deadline at once (no lazy garbage); cancelling twice or after firing is a no-op', (t) => {
  const clock = new SimulatedClock();
  const deadlines = new Deadlines(clock);
  const fired: string[] = [];
  const a = deadlines.schedule(100, () => fired.push('a'));
  const b = deadlines.schedule(100, () => fired.push('b'));
  a.cancel();
  a.cancel();
  t.is(deadlines.size, 1);
  clock.increment(100);
  t.deepEqual(fired, ['b']);
  b.cancel();
  t.is(deadlines.size, 0);
});

test('a callback may schedule and cancel; clear() drops everything', (t) => {
  const clock = new SimulatedClock();
  const deadlines = new Deadlines(clock);
  const fired: number[] = [];
  const later = deadlines.schedule(500, () => fired.push(500));
  deadlines.schedule(100, () => {
    fired.push(100);
    later.cancel();
    deadlines.schedule(50, () => fired.push(150));
  });
  clock.increment(600); // both 100 and 500 are due in this one step: the first cancels the second
  t.deepEqual(fired, [100]);
  clock.increment(50);
  t.deepEqual(fired, [100, 150]);
  deadlines.schedule(10, () => fired.push(-1));
  deadlines.clear();
  clock.increment(100);
  t.deepEqual(fired, [100, 150]);
  t.is(deadlines.size, 0);
});

test('10,000 deadlines with most cancelled: memory follows the live count', (t) => {
  const clock = new SimulatedClock();
  const deadlines = new Deadlines(clock);
  const handles = Array.from({ length: 10_000 }, (_, i) => deadlines.schedule(1000 + i, () => {}));
  for (const [i, d] of handles.entries()) if (i % 10 !== 0) d.cancel();
  t.is(deadlines.size, 1000);
});

test('the indexed heap pops in key order and removes any item', (t) => {
  const heap = new IndexedHeap<HeapItem & { name: string }>();
  const items = [5, 1, 4, 2, 3].map((k) => ({ heapIndex: -1, heapKey: k, name: `k${k}` }));
  for (const item of items) heap.push(item);
  t.true(heap.remove(items[2] as HeapItem & { name: string }));
  t.false(heap.remove(items[2] as HeapItem & { name: string }));
  const order: string[] = [];
  for (let item = heap.pop(); item; item = heap.pop()) order.push(item.name);
  t.deepEqual(order, ['k1', 'k2', 'k3', 'k5']);
  t.true(items.every((i) => i.heapIndex === -1));
});

test('a deadline past 2^31-1 ms (a token expiring in a month) arms the timer for at most 2^31-1 ms, and fires on time', (t) => {
  const clock = new SimulatedClock();
  const delays: number[] = [];
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, timeout) => (delays.push(timeout), setTimeout(fn, timeout));
  const deadlines = new Deadlines(clock);
  const month = 30 * 24 * 3600 * 1000;
  let fired = 0;
  deadlines.schedule(month, () => (fired += 1));
  t.deepEqual(delays, [2 ** 31 - 1]);
  clock.increment(2 ** 31 - 1);
  t.is(fired, 0, 'woken early: nothing due, re-armed');
  t.deepEqual(delays, [2 ** 31 - 1, month - (2 ** 31 - 1)]);
  clock.increment(month - (2 ** 31 - 1));
  t.is(fired, 1);
  t.is(deadlines.size, 0);
});
