import test from 'ava';
import { Mailbox } from '../../src/runtime/mailbox.ts';
import { controlFrame, type Frame } from '../../src/protocol/frame.ts';

const event = (id: number): Frame => ({ bytes: Buffer.from(`id: ${id}\ndata: ${id}\n\n`), id: String(id), event: true, at: 0 });
const ids = (box: Mailbox) => box.frames.map((f) => f.id);

test('while the socket keeps up, the bound does not apply: a burst is queued whole', (t) => {
  const box = new Mailbox(2, 'close', []);
  for (let i = 1; i <= 5; i++) t.is(box.push(event(i)), 'queued');
  t.deepEqual(ids(box), ['1', '2', '3', '4', '5']);
});

test('behind: drop-oldest keeps the newest `limit` frames after the start frames, and counts drops', (t) => {
  const start = controlFrame('data: hello\n\n', 'h');
  const box = new Mailbox(2, 'drop-oldest', [start]);
  box.pushedBack();
  t.deepEqual([1, 2, 3, 4].map((i) => box.push(event(i))), ['queued', 'queued', 'dropped', 'dropped']);
  t.deepEqual(ids(box), ['h', '3', '4']);
  t.is(box.dropped, 2);
});

test('behind: drop-newest keeps what was queued; close empties the mailbox and says overflow', (t) => {
  const newest = new Mailbox(2, 'drop-newest', []);
  newest.pushedBack();
  t.deepEqual([1, 2, 3].map((i) => newest.push(event(i))), ['queued', 'queued', 'dropped']);
  t.deepEqual(ids(newest), ['1', '2']);
  const close = new Mailbox(2, 'close', []);
  close.pushedBack();
  t.deepEqual([1, 2, 3].map((i) => close.push(event(i))), ['queued', 'queued', 'overflow']);
  t.is(close.length, 0);
  t.is(close.dropped, 0);
});

test('control frames are always queued (and count while the client is behind); clear() empties and ends the start; replace() makes a new start', (t) => {
  const box = new Mailbox(2, 'close', [controlFrame('retry: 5\n\n')]);
  t.true(box.starting);
  box.pushedBack();
  box.pushControl(controlFrame(': keep-alive\n\n'));
  t.is(box.push(event(1)), 'queued');
  t.is(box.length, 3);
  box.clear();
  t.false(box.starting);
  t.is(box.length, 0);
  box.replace([event(7), event(8)]);
  t.true(box.starting);
  t.is(box.push(event(9)), 'queued'); // the replaced frames are the start: not counted
  t.deepEqual(ids(box), ['7', '8', '9']);
});

test('one frame is held as `single`; a second makes the queue; drop-oldest with a limit of 1 swaps the one held', (t) => {
  const box = new Mailbox(1, 'drop-oldest', []);
  t.is(box.single, undefined);
  t.is(box.push(event(1)), 'queued');
  t.is(box.single?.id, '1');
  t.deepEqual(ids(box), ['1']);
  box.pushControl(controlFrame(': keep-alive\n\n'));
  t.is(box.single, undefined);
  t.is(box.length, 2);
  box.clear();
  t.is(box.length, 0);
  t.deepEqual(ids(box), []);
  box.pushedBack();
  t.is(box.push(event(2)), 'queued');
  t.is(box.push(event(3)), 'dropped');
  t.deepEqual(ids(box), ['3']);
  t.is(box.dropped, 1);
  box.replace([event(4)]);
  t.true(box.starting);
  t.is(box.push(event(5)), 'queued'); // the start frame is not counted against the limit
  t.is(box.push(event(6)), 'dropped');
  t.deepEqual(ids(box), ['4', '6']);
});
