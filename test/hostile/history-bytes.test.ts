import test from 'ava';
import { createSystem, InvalidOptionError } from '../../src/index.ts';
import { TopicLog } from '../../src/runtime/topic-log.ts';
import { controlFrame } from '../../src/protocol/frame.ts';

// Item 11: history is bounded in bytes per topic too, and snapshot() shows them.

test('history.maxBytes: oldest events leave while a topic is over it; the newest is always kept', (t) => {
  const system = createSystem({ topics: ['a', 'b'], keepAlive: 0, history: { maxBytes: 1000 } });
  const data = 'x'.repeat(290); // "id: N\ndata: " + 290 + "\n\n" = 304..305 bytes
  for (let n = 1; n <= 5; n++) system.notify({ id: n, topic: 'a', data: { data } });
  const frame = (n: number) => Buffer.byteLength(`id: ${n}\ndata: ${data}\n\n`);
  const snap = system.snapshot();
  t.deepEqual(snap.history.a, { events: 3, bytes: frame(3) + frame(4) + frame(5) });
  t.deepEqual(snap.history.b, { events: 0, bytes: 0 });
  t.deepEqual(snap.topics.map((x) => x.history), [3, 0]); // the existing field keeps its shape
  system.notify({ id: 'big', topic: 'b', data: { data: 'y'.repeat(5000) } });
  t.is(system.snapshot().history.b?.events, 1); // larger than maxBytes alone: still kept
  void system.stop();
});

test('the default keeps 8 MiB per topic: 3 events of 10 MB keep only the newest', (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const big = 'z'.repeat(10_000_000);
  for (let n = 1; n <= 3; n++) system.notify({ id: n, topic: 'a', data: { data: big } });
  t.deepEqual(system.snapshot().history.a, { events: 1, bytes: Buffer.byteLength(`id: 3\ndata: ${big}\n\n`) });
  void system.stop();
});

test('TopicLog counts bytes in and out (size, TTL and bytes evictions)', (t) => {
  const log = new TopicLog(2, 100);
  const entry = (seq: number, text: string, at = 0) => ({ seq, frame: { ...controlFrame(text, String(seq)), event: true, at } });
  log.append(entry(1, 'a'.repeat(40)));
  log.append(entry(2, 'b'.repeat(40)));
  t.is(log.bytes, 80);
  log.append(entry(3, 'c'.repeat(40))); // size pushes 1 out
  t.is(log.bytes, 80);
  log.append(entry(4, 'd'.repeat(90), 10)); // bytes push 3 out, then 2... newest stays
  t.is(log.length, 1);
  t.is(log.bytes, 90);
  log.expire(20);
  t.is(log.bytes, 0);
});

test('history.maxBytes, maxTopicsPerStream and maxTopicLength are validated', (t) => {
  for (const options of [{ history: { maxBytes: 0 } }, { history: { maxBytes: 1.5 } }, { maxTopicsPerStream: 0 }, { maxTopicLength: -1 }, { maxTopicsPerStream: '3' }]) {
    t.throws(() => createSystem({ topics: ['a'], ...(options as object) }), { instanceOf: InvalidOptionError });
  }
});
