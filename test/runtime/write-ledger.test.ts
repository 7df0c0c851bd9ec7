import test from 'ava';
import { WriteLedger } from '../../src/runtime/write-ledger.ts';

test('a write is counted and moves the cursor only once confirmed; written moves at once', (t) => {
  const ledger = new WriteLedger('0');
  t.deepEqual([ledger.cursor, ledger.written, ledger.delivered, ledger.pending], ['0', '0', 0, 0]);
  ledger.record(2, '2');
  t.deepEqual([ledger.cursor, ledger.written, ledger.delivered, ledger.pending], ['0', '2', 0, 1]);
  ledger.confirm(false);
  t.deepEqual([ledger.cursor, ledger.written, ledger.delivered, ledger.pending], ['2', '2', 2, 0]);
});

test('several writes in flight are confirmed in order; a write without an id keeps the cursor', (t) => {
  const ledger = new WriteLedger(undefined);
  ledger.record(1, 'a');
  ledger.record(0, undefined); // a keep-alive
  ledger.record(3, 'd');
  t.is(ledger.pending, 3);
  ledger.confirm(false);
  t.deepEqual([ledger.cursor, ledger.delivered], ['a', 1]);
  ledger.confirm(false);
  t.deepEqual([ledger.cursor, ledger.delivered], ['a', 1]);
  ledger.confirm(false);
  t.deepEqual([ledger.cursor, ledger.delivered, ledger.pending], ['d', 4, 0]);
});

test('a failed write is taken off without counting; confirming with nothing in flight is a no-op', (t) => {
  const ledger = new WriteLedger(undefined);
  ledger.record(5, 'x');
  ledger.confirm(true);
  t.deepEqual([ledger.cursor, ledger.written, ledger.delivered, ledger.pending], [undefined, 'x', 0, 0]);
  ledger.confirm(false);
  t.deepEqual([ledger.delivered, ledger.pending], [0, 0]);
});
