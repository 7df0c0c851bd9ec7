import test from 'ava';
import { SimulatedClock } from 'xstate';
import { KeepAliveWheel } from '../../src/actors/wheel.ts';

/** A simulated clock that also counts its pending timers. */
class CountingClock extends SimulatedClock {
  readonly pending = new Set<unknown>();
  override setTimeout(fn: (...args: unknown[]) => void, ms: number): number {
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

function entry(name: string, log: string[], clock: SimulatedClock) {
  return { keepAlive: () => log.push(`${name}@${clock.now()}`) };
}

test('one timer for many entries: each gets keepAlive after interval ms without a touch', (t) => {
  const clock = new CountingClock();
  const log: string[] = [];
  const wheel = new KeepAliveWheel(clock, 100);
  const a = entry('a', log, clock);
  const b = entry('b', log, clock);
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
  t.deepEqual(log, ['a@100', 'b@130', 'b@230', 'a@230']); // b's keep-alive at 130 came before a's touch at 130
  t.is(clock.pending.size, 1);
});

test('remove stops keep-alive; the timer is gone when the wheel is empty; 0 disables', (t) => {
  const clock = new CountingClock();
  const log: string[] = [];
  const wheel = new KeepAliveWheel(clock, 100);
  const a = entry('a', log, clock);
  wheel.add(a);
  wheel.remove(a);
  wheel.remove(a);
  t.is(wheel.size, 0);
  t.is(clock.pending.size, 0);
  clock.increment(500);
  t.deepEqual(log, []);
  const off = new KeepAliveWheel(clock, 0);
  off.add(a);
  t.is(off.size, 0);
  t.is(clock.pending.size, 0);
});

test('10,000 entries are served by a single pending timer', (t) => {
  const clock = new CountingClock();
  let calls = 0;
  const wheel = new KeepAliveWheel(clock, 1000);
  for (let i = 0; i < 10_000; i++) wheel.add({ keepAlive: () => (calls += 1) });
  t.is(clock.pending.size, 1);
  clock.increment(1000);
  t.is(calls, 10_000);
  t.is(clock.pending.size, 1);
  wheel.clear();
  t.is(clock.pending.size, 0);
});
