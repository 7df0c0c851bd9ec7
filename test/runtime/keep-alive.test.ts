import test from 'ava';
import { SimulatedClock } from 'xstate';
import { KeepAliveScheduler } from '../../src/runtime/keep-alive.ts';

/** A simulated clock that also counts its pending timers. */
class CountingClock extends SimulatedClock {
  readonly pending = new Set<unknown>();
  /** setTimeout calls so far. */
  calls = 0;
  override setTimeout(fn: (...args: unknown[]) => void, ms: number): number {
    this.calls += 1;
    const id = super.setTimeout(() => {
      this.pending.delete(id);
      fn();
    }, ms);
    this.pending.add(id);
    return id;
  }
  override clearTimeout(id: number): void {
    this.pending.delete(id);
    super.clearTimeout(id);
  }
}

/** A wheel entry with the bookkeeping fields the wheel owns. */
function slot<T extends object>(extra: T) {
  return { heapIndex: -1, heapKey: 0, lastWriteAt: 0, ...extra };
}

function entry(name: string, log: string[], clock: SimulatedClock) {
  return slot({ keepAlive: () => void log.push(`${name}@${clock.now()}`) });
}

/** A wheel with a 100 ms interval and two entries, a and b, that log their keep-alives. */
function twoEntries() {
  const clock = new CountingClock();
  const log: string[] = [];
  const wheel = new KeepAliveScheduler(clock, 100);
  return { clock, log, wheel, a: entry('a', log, clock), b: entry('b', log, clock) };
}

test('one timer for many entries: each gets keepAlive after interval ms without a touch', (t) => {
  const { clock, log, wheel, a, b } = twoEntries();
  wheel.add(a);
  clock.increment(30);
  wheel.add(b);
  clock.increment(69); // t=99
  t.deepEqual(log, []);
  clock.increment(1); // t=100: a is due
  t.deepEqual(log, ['a@100']);
  clock.increment(30); // t=130: b is due
  t.deepEqual(log, ['a@100', 'b@130']);
  wheel.touch(a); // t=130
  clock.increment(70); // t=200: a was touched at 130, so not yet
  t.deepEqual(log, ['a@100', 'b@130']);
  clock.increment(30); // t=230
  // a was touched at 130, b got its keep-alive at 130: both are due at 230 (in no particular order).
  t.deepEqual(log.slice(0, 2), ['a@100', 'b@130']);
  t.deepEqual(log.slice(2).sort(), ['a@230', 'b@230']);
  t.is(clock.pending.size, 1);
});

test('remove stops keep-alive; an emptied wheel keeps its one timer until it fires once (no clear/set per stream), then has none; 0 disables', (t) => {
  const clock = new CountingClock();
  const log: string[] = [];
  const wheel = new KeepAliveScheduler(clock, 100);
  const a = entry('a', log, clock);
  wheel.add(a);
  wheel.remove(a);
  wheel.remove(a);
  t.is(wheel.size, 0);
  t.is(clock.pending.size, 1, 'the timer stays armed');
  // A stream opened and closed again while it is armed sets no second timer.
  wheel.add(a);
  wheel.remove(a);
  t.is(clock.pending.size, 1);
  clock.increment(100);
  t.is(clock.pending.size, 0, 'it fired, found nothing and stays off');
  clock.increment(500);
  t.deepEqual(log, []);
  const off = new KeepAliveScheduler(clock, 0);
  off.add(a);
  t.is(off.size, 0);
  t.is(clock.pending.size, 0);
});

test('10,000 entries are served by a single pending timer', (t) => {
  const clock = new CountingClock();
  let calls = 0;
  const wheel = new KeepAliveScheduler(clock, 1000);
  for (let i = 0; i < 10_000; i++) wheel.add(slot({ keepAlive: () => void (calls += 1) }));
  t.is(clock.pending.size, 1);
  clock.increment(1000);
  t.is(calls, 10_000);
  t.is(clock.pending.size, 1);
  wheel.clear();
  t.is(clock.pending.size, 0);
});

test('a keep-alive goes out exactly interval ms after the last of many writes; writes never touch the timer', (t) => {
  const { clock, log, wheel, a, b } = twoEntries();
  wheel.add(a);
  wheel.add(b);
  const before = clock.calls;
  // a writes every 7 ms up to t=343 (the clock steps 1 ms at a time); b stays idle.
  for (let now = 1; now <= 343; now++) {
    clock.increment(1);
    if (now % 7 === 0) wheel.touch(a);
  }
  t.is(clock.now(), 343);
  // b: keep-alives at 100, 200, 300. a: never while it writes.
  t.deepEqual(log, ['b@100', 'b@200', 'b@300']);
  for (let i = 0; i < 100; i++) clock.increment(1); // t=443: a idle since 343
  t.deepEqual(log, ['b@100', 'b@200', 'b@300', 'b@400', 'a@443']);
  // The timer was re-armed only when it fired (a few times per interval), not per write (48 writes).
  const timerCalls = clock.calls - before;
  t.true(timerCalls <= 10, `${timerCalls} timer calls`);
  t.is(clock.pending.size, 1);
});

test('an entry removed by its own keep-alive, and a clear() during one, leave the wheel consistent', (t) => {
  const clock = new CountingClock();
  const log: string[] = [];
  const wheel = new KeepAliveScheduler(clock, 100);
  const entries = Array.from({ length: 5 }, (_, i) => {
    const e = slot({ keepAlive: () => {
      log.push(`e${i}@${clock.now()}`);
      if (i % 2 === 0) wheel.remove(e); // the even ones block and leave the wheel
    } });
    return e;
  });
  for (const e of entries) wheel.add(e);
  clock.increment(100);
  t.deepEqual([...log].sort(), ['e0@100', 'e1@100', 'e2@100', 'e3@100', 'e4@100']);
  t.is(wheel.size, 2);
  t.deepEqual(entries.map((e) => e.heapIndex === -1), [true, false, true, false, true]);
  clock.increment(100);
  t.deepEqual(log.slice(5).sort(), ['e1@200', 'e3@200']);
  const clearing = slot({ keepAlive: () => wheel.clear() });
  wheel.add(clearing);
  clock.increment(100); // t=300: e1, e3 and clearing are due; clearing empties the wheel
  t.is(wheel.size, 0);
  t.is(clock.pending.size, 0);
  t.deepEqual(entries.map((e) => e.heapIndex), [-1, -1, -1, -1, -1]);
});
