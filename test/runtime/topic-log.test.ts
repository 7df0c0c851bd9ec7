import test from 'ava';
import { TopicLog, type LogEntry } from '../../src/runtime/topic-log.ts';
import { controlFrame } from '../../src/protocol/frame.ts';
import { createSystem } from '../../src/index.ts';

function entry(seq: number, id: string | undefined, at = 0): LogEntry {
  return { seq, frame: { ...controlFrame(`id: ${id}\n\n`, id), event: true, at } };
}

const ids = (entries: LogEntry[]) => entries.map((e) => e.frame.id);

test('keeps the last `size` entries in order; since(seq) returns the newer ones', (t) => {
  const log = new TopicLog(3);
  for (let i = 1; i <= 5; i++) log.append(entry(i * 10, `e${i}`));
  t.is(log.length, 3);
  t.deepEqual(ids(log.since(0)), ['e3', 'e4', 'e5']);
  t.deepEqual(ids(log.since(30)), ['e4', 'e5']);
  t.deepEqual(ids(log.since(50)), []);
  t.is(log.get('e4')?.seq, 40);
  t.false(log.has('e1'));
  t.is(log.lostSeq('e1'), 10);
  t.is(log.lostSeq('never'), undefined);
  t.is(log.evictedUpTo, 20);
});

test('expire(cutoff) drops entries notified before the cutoff', (t) => {
  const log = new TopicLog(10);
  [0, 100, 200, 300].forEach((at, i) => log.append(entry(i + 1, `t${at}`, at)));
  log.expire(150);
  t.deepEqual(ids(log.since(0)), ['t200', 't300']);
  t.is(log.lostSeq('t100'), 2);
  t.is(log.evictedUpTo, 2);
  log.expire(1000);
  t.is(log.length, 0);
  t.deepEqual(log.since(0), []);
});

test('size 0 keeps nothing; the list of lost ids is bounded by size', (t) => {
  const off = new TopicLog(0);
  off.append(entry(1, 'a'));
  t.is(off.length, 0);
  t.false(off.has('a'));
  const log = new TopicLog(2);
  for (let i = 1; i <= 10; i++) log.append(entry(i, `e${i}`));
  // e1..e8 left the log; only the last two of them are remembered as lost
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => log.lostSeq(`e${i}`)), [undefined, undefined, undefined, undefined, undefined, undefined, 7, 8]);
});

test('history memory stays bounded: 100k events through size 1000', (t) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('needs --expose-gc');
  const system = createSystem({ topics: ['a'], keepAlive: 0, history: { size: 1000, ttlMs: 0 } });
  const heap = () => {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().heapUsed;
  };
  const payload = 'x'.repeat(200);
  let n = 0;
  const notify = (count: number) => {
    for (let i = 0; i < count; i++, n++) system.notify({ id: n, topic: 'a', data: { data: payload } });
  };
  notify(10_000);
  const at10k = heap();
  notify(90_000);
  const at100k = heap();
  t.log(`heap at 10k events: ${(at10k / 1e6).toFixed(2)} MB, at 100k: ${(at100k / 1e6).toFixed(2)} MB`);
  t.is(system.snapshot().topics[0]?.history, 1000);
  t.true(at100k - at10k < 512 * 1024, `heap grew ${at100k - at10k} B between 10k and 100k events`);
});
