import test from 'ava';
import fc from 'fast-check';
import { encodeChunk, encodeComment, type Chunk } from '../../src/protocol/chunk.ts';
import { parseEventStream } from './whatwg-parser.ts';

/** What the WHATWG parser must give back for a line-broken string: every CRLF / CR turned into LF. */
const normalise = (s: string): string => s.replace(/\r\n|\r/g, '\n');

// ---------------------------------------------------------------------------------------------
// The oracle itself: a few fixed streams straight from the spec's examples.
// ---------------------------------------------------------------------------------------------

test('whatwg parser: spec examples', (t) => {
  // "data: YHOO\ndata: +2\ndata: 10\n\n" → "YHOO\n+2\n10"
  t.deepEqual(parseEventStream('data: YHOO\ndata: +2\ndata: 10\n\n').events, [
    { type: 'message', data: 'YHOO\n+2\n10', lastEventId: '' },
  ]);
  // "data\n\ndata\ndata\n\ndata:" → "", "\n", and the last block is never dispatched
  const s = parseEventStream('data\n\ndata\ndata\n\ndata:');
  t.deepEqual(
    s.events.map((e) => e.data),
    ['', '\n'],
  );
  t.true(s.pending);
  // "data:test" and "data: test" are the same; only one leading space is removed
  t.deepEqual(
    parseEventStream('data:test\n\ndata: test\n\ndata:  test\n\n').events.map((e) => e.data),
    ['test', 'test', ' test'],
  );
  // CR and CRLF line endings, comments, id with NUL ignored, non-digit retry ignored
  const mixed = parseEventStream(': c\r\nid: 1\rretry: 1x\nretry: 20\r\nid: a\0b\nevent: e\ndata: d\r\r');
  t.deepEqual(mixed.events, [{ type: 'e', data: 'd', lastEventId: '1' }]);
  t.is(mixed.retry, 20);
  t.deepEqual(mixed.comments, ['c']);
});

// ---------------------------------------------------------------------------------------------
// Round trip: encodeChunk → WHATWG parser
// ---------------------------------------------------------------------------------------------

interface Expected {
  type: string;
  data: string;
  lastEventId: string;
  retry: number | undefined;
  comments: string[];
}

const roundTrip = test.macro({
  exec(t, chunk: Chunk, expected: Expected) {
    const wire = encodeChunk(chunk);
    t.false(wire.includes('\r'), 'the encoder only writes LF line endings');
    const parsed = parseEventStream(wire);
    t.false(parsed.pending, 'the frame ends with a blank line');
    t.deepEqual(parsed.events, [{ type: expected.type, data: expected.data, lastEventId: expected.lastEventId }]);
    t.is(parsed.retry, expected.retry);
    t.deepEqual(parsed.comments, expected.comments);
  },
  title: (provided = '') => `round trip: ${provided}`,
});

test(
  'LF lines',
  roundTrip,
  { data: 'a\nb\nc' },
  { type: 'message', data: 'a\nb\nc', lastEventId: '', retry: undefined, comments: [] },
);
test(
  'CRLF lines',
  roundTrip,
  { data: 'a\r\nb\r\nc' },
  { type: 'message', data: ['a', 'b', 'c'].join('\n'), lastEventId: '', retry: undefined, comments: [] },
);
test(
  'CR lines',
  roundTrip,
  { data: 'a\rb\rc' },
  { type: 'message', data: ['a', 'b', 'c'].join('\n'), lastEventId: '', retry: undefined, comments: [] },
);
test(
  'mixed line endings, event, id, retry, comment',
  roundTrip,
  { data: 'l1\rl2\nl3\r\nl4', event: 'rates', id: 'r-42', retry: 2500, comment: 'c1\r\nc2' },
  { type: 'rates', data: ['l1', 'l2', 'l3', 'l4'].join('\n'), lastEventId: 'r-42', retry: 2500, comments: ['c1', 'c2'] },
);
test(
  'array data with line breaks inside elements',
  roundTrip,
  { data: ['a\r\nb', 'c\rd', 'e\nf'], event: 'x', id: 0, retry: 0 },
  { type: 'x', data: ['a', 'b', 'c', 'd', 'e', 'f'].join('\n'), lastEventId: '0', retry: 0, comments: [] },
);
test(
  'trailing line break is kept as an empty last line',
  roundTrip,
  { data: 'a\r\n' },
  { type: 'message', data: 'a\n', lastEventId: '', retry: undefined, comments: [] },
);
test(
  'empty data string dispatches an empty message',
  roundTrip,
  { data: '' },
  { type: 'message', data: '', lastEventId: '', retry: undefined, comments: [] },
);
test(
  'empty lines only',
  roundTrip,
  { data: '\r\n\r\n' },
  { type: 'message', data: '\n\n', lastEventId: '', retry: undefined, comments: [] },
);
test(
  'leading spaces, colons and unicode survive',
  roundTrip,
  { data: '  two spaces\n: not a comment\nid: not an id\n😀 é', event: ' spaced', id: ' 1' },
  { type: ' spaced', data: '  two spaces\n: not a comment\nid: not an id\n😀 é', lastEventId: ' 1', retry: undefined, comments: [] },
);
test(
  'empty event name dispatches as "message"',
  roundTrip,
  { data: 'x', event: '' },
  { type: 'message', data: 'x', lastEventId: '', retry: undefined, comments: [] },
);

test('round trip: data: [] dispatches nothing but still sets id and retry', (t) => {
  const parsed = parseEventStream(encodeChunk({ data: [], id: 'k', retry: 7, comment: 'hello' }));
  t.deepEqual(parsed.events, []);
  t.is(parsed.lastEventId, 'k');
  t.is(parsed.retry, 7);
  t.deepEqual(parsed.comments, ['hello']);
  t.false(parsed.pending);
});

test('round trip: a stream of several frames (defaultId, comments, keep-alive)', (t) => {
  const wire =
    encodeChunk({ data: 'first' }, 'e1') +
    encodeComment('keep-alive') +
    encodeChunk({ data: 'a\rb', event: 'ev' }, 2) +
    encodeChunk({ data: [], retry: 100 }) +
    encodeChunk({ data: 'c', id: 'own' }, 'ignored') +
    encodeChunk({ data: 'no id' });
  const parsed = parseEventStream(wire);
  t.deepEqual(parsed.events, [
    { type: 'message', data: 'first', lastEventId: 'e1' },
    { type: 'ev', data: 'a\nb', lastEventId: '2' },
    { type: 'message', data: 'c', lastEventId: 'own' },
    // the last event ID persists across frames without `id:`
    { type: 'message', data: 'no id', lastEventId: 'own' },
  ]);
  t.is(parsed.retry, 100);
  t.deepEqual(parsed.comments, ['keep-alive']);
  t.false(parsed.pending);
});

test('round trip: encodeComment dispatches nothing', (t) => {
  const parsed = parseEventStream(encodeComment('a\r\nb\rc'));
  t.deepEqual(parsed.events, []);
  t.deepEqual(parsed.comments, ['a', 'b', 'c']);
  t.false(parsed.pending);
});

// ---------------------------------------------------------------------------------------------
// Properties (fast-check)
// ---------------------------------------------------------------------------------------------

/** Any code point, with line breaks, spaces, colons, NUL and BOM made frequent. */
const char = fc.oneof(
  { arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\n\r', ' ', ':', '\0', '\uFEFF', '\u2028'), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 5 },
);
const anyText = fc.string({ unit: char, maxLength: 40 });
/** A valid `event` (no CR, LF) or `id` (no CR, LF, NUL). */
const noBreak = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !/[\r\n\0]/.test(s));
const idArb = fc.oneof(noBreak, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));

/** Exactly one frame: output ends in the only blank line, and contains no CR at all. */
function assertWellFramed(wire: string): void {
  if (wire.includes('\r')) throw new Error(`CR in output ${JSON.stringify(wire)}`);
  if (wire.indexOf('\n\n') !== wire.length - 2) throw new Error(`not exactly one blank line: ${JSON.stringify(wire)}`);
}

test('property: string data round-trips with line breaks normalised to LF', (t) => {
  fc.assert(
    fc.property(anyText, (data) => {
      const wire = encodeChunk({ data });
      assertWellFramed(wire);
      const parsed = parseEventStream(wire);
      return (
        parsed.events.length === 1 &&
        parsed.events[0]?.data === normalise(data) &&
        parsed.events[0].type === 'message' &&
        !parsed.pending
      );
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: string[] data round-trips as the elements joined by LF', (t) => {
  fc.assert(
    fc.property(fc.array(anyText, { minLength: 1, maxLength: 5 }), (data) => {
      const wire = encodeChunk({ data });
      assertWellFramed(wire);
      const parsed = parseEventStream(wire);
      return parsed.events.length === 1 && parsed.events[0]?.data === data.map(normalise).join('\n');
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: full chunks: no CR in output, one frame, every field read back', (t) => {
  fc.assert(
    fc.property(
      fc.record(
        {
          data: fc.oneof(anyText, fc.array(anyText, { maxLength: 4 })),
          comment: fc.oneof(anyText, fc.array(anyText, { maxLength: 3 })),
          event: noBreak,
          id: idArb,
          retry: fc.nat(),
        },
        { requiredKeys: ['data'] },
      ),
      (chunk) => {
        const wire = encodeChunk(chunk);
        assertWellFramed(wire);
        const parsed = parseEventStream(wire);
        if (parsed.pending) return false;
        if (parsed.retry !== chunk.retry) return false;
        const comments = chunk.comment === undefined ? [] : (typeof chunk.comment === 'string' ? [chunk.comment] : chunk.comment).flatMap((c) => normalise(c).split('\n'));
        if (JSON.stringify(parsed.comments) !== JSON.stringify(comments)) return false;
        const expectedId = chunk.id === undefined ? '' : String(chunk.id);
        if (parsed.lastEventId !== expectedId) return false;
        const dataLines = typeof chunk.data === 'string' ? [chunk.data] : chunk.data;
        if (dataLines.length === 0) return parsed.events.length === 0;
        return (
          parsed.events.length === 1 &&
          parsed.events[0]?.data === dataLines.map(normalise).join('\n') &&
          parsed.events[0].type === (chunk.event === undefined || chunk.event === '' ? 'message' : chunk.event) &&
          parsed.events[0].lastEventId === expectedId
        );
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: event/id with a CR or LF are always rejected and nothing is produced', (t) => {
  const withBreak = fc
    .tuple(noBreak, fc.constantFrom('\r', '\n', '\r\n'), noBreak)
    .map(([a, br, b]) => a + br + b);
  fc.assert(
    fc.property(withBreak, fc.constantFrom('event', 'id'), (value, field) => {
      let out: string | undefined;
      try {
        out = encodeChunk({ data: 'x', [field]: value });
      } catch (error) {
        return out === undefined && (error as { field?: string }).field === field;
      }
      return false;
    }),
    { numRuns: 200 },
  );
  t.pass();
});
