import test from 'ava';
import {
  checkId,
  checkRetry,
  encodeChunk,
  encodeComment,
  encodeValidChunk,
  validateChunk,
  validateEvent,
  wireId,
  type Chunk,
  type SseEvent,
} from '../../src/protocol/chunk.ts';
import { InvalidChunkError } from '../../src/protocol/errors.ts';
import { InvalidChunkError as InvalidChunkErrorFromErrors } from '../../src/system/errors.ts';

// ---------------------------------------------------------------------------------------------
// Valid chunks: exact bytes. Order: comment lines, id, event, retry, data lines, blank line.
// ---------------------------------------------------------------------------------------------

const encodes = test.macro({
  exec(t, chunk: Chunk, expected: string, defaultId?: string | number) {
    t.is(encodeChunk(chunk, defaultId), expected);
    // encodeValidChunk is the same encoder without validation: same bytes for a valid chunk.
    t.is(encodeValidChunk(chunk, defaultId), expected);
    t.notThrows(() => validateChunk(chunk));
  },
  title: (provided = '') => `encodes ${provided}`,
});

// data alone
test('data: single line', encodes, { data: 'hello' }, 'data: hello\n\n');
test('data: empty string gives one empty data line', encodes, { data: '' }, 'data: \n\n');
test('data: [] gives no data line at all', encodes, { data: [] }, '\n');
test('data: [""] gives one empty data line', encodes, { data: [''] }, 'data: \n\n');
test('data: ["", ""] gives two empty data lines', encodes, { data: ['', ''] }, 'data: \ndata: \n\n');
test('data: array, one line per element', encodes, { data: ['a', 'b', 'c'] }, 'data: a\ndata: b\ndata: c\n\n');
test('data: LF splits lines', encodes, { data: 'a\nb' }, 'data: a\ndata: b\n\n');
test('data: CRLF splits lines (one break, not two)', encodes, { data: 'a\r\nb' }, 'data: a\ndata: b\n\n');
test('data: lone CR splits lines', encodes, { data: 'a\rb' }, 'data: a\ndata: b\n\n');
test(
  'data: mixed CR, LF, CRLF',
  encodes,
  { data: 'a\rb\nc\r\nd' },
  'data: a\ndata: b\ndata: c\ndata: d\n\n',
);
test('data: LF then CR is two breaks', encodes, { data: 'a\n\rb' }, 'data: a\ndata: \ndata: b\n\n');
test('data: CR then CRLF is two breaks', encodes, { data: 'a\r\r\nb' }, 'data: a\ndata: \ndata: b\n\n');
test('data: consecutive LFs give empty lines', encodes, { data: 'a\n\n\nb' }, 'data: a\ndata: \ndata: \ndata: b\n\n');
test('data: trailing LF gives an empty last data line', encodes, { data: 'a\n' }, 'data: a\ndata: \n\n');
test('data: trailing CRLF gives an empty last data line', encodes, { data: 'a\r\n' }, 'data: a\ndata: \n\n');
test('data: trailing CR gives an empty last data line', encodes, { data: 'a\r' }, 'data: a\ndata: \n\n');
test('data: leading LF gives an empty first data line', encodes, { data: '\na' }, 'data: \ndata: a\n\n');
test('data: a lone LF is two empty lines', encodes, { data: '\n' }, 'data: \ndata: \n\n');
test('data: a lone CRLF is two empty lines', encodes, { data: '\r\n' }, 'data: \ndata: \n\n');
test(
  'data: array elements are split too',
  encodes,
  { data: ['a\nb', 'c\r\nd\re', 'f'] },
  'data: a\ndata: b\ndata: c\ndata: d\ndata: e\ndata: f\n\n',
);
test('data: array element with trailing LF', encodes, { data: ['a\n', 'b'] }, 'data: a\ndata: \ndata: b\n\n');
test(
  'data: unicode (BMP, astral, combining, RTL) is written as is',
  encodes,
  { data: 'héllo 😀 日本語 e\u0301 שלום' },
  'data: héllo 😀 日本語 e\u0301 שלום\n\n',
);
test('data: U+2028/U+2029/NEL are not line breaks', encodes, { data: 'a\u2028b\u2029c\u0085d' }, 'data: a\u2028b\u2029c\u0085d\n\n');
test('data: NUL and BOM are written as is', encodes, { data: '\uFEFFa\0b' }, 'data: \uFEFFa\0b\n\n');
test('data: a leading space is kept (after the separator space)', encodes, { data: ' x' }, 'data:  x\n\n');
test('data: colons are written as is', encodes, { data: 'a: b:c' }, 'data: a: b:c\n\n');
test('data: JSON', encodes, { data: JSON.stringify({ rates: { usd: 1.1 } }) }, 'data: {"rates":{"usd":1.1}}\n\n');

// comment
test('comment: single line', encodes, { comment: 'hi', data: 'x' }, ': hi\ndata: x\n\n');
test('comment: empty string gives one empty comment line', encodes, { comment: '', data: 'x' }, ': \ndata: x\n\n');
test('comment: [] gives no comment line', encodes, { comment: [], data: 'x' }, 'data: x\n\n');
test(
  'comment: CR, LF, CRLF and mixed all split',
  encodes,
  { comment: 'a\nb\r\nc\rd', data: 'x' },
  ': a\n: b\n: c\n: d\ndata: x\n\n',
);
test('comment: trailing LF gives an empty last comment line', encodes, { comment: 'a\n', data: 'x' }, ': a\n: \ndata: x\n\n');
test(
  'comment: array, each element split',
  encodes,
  { comment: ['a', 'b\nc', ''], data: 'x' },
  ': a\n: b\n: c\n: \ndata: x\n\n',
);
test('comment: with data: [] (comment-only frame)', encodes, { comment: 'ping', data: [] }, ': ping\n\n');
test('comment: unicode', encodes, { comment: 'ça 😀', data: 'x' }, ': ça 😀\ndata: x\n\n');

// id
test('id: string', encodes, { id: 'abc-1', data: 'x' }, 'id: abc-1\ndata: x\n\n');
test('id: number 0 is written (not treated as absent)', encodes, { id: 0, data: 'x' }, 'id: 0\ndata: x\n\n');
test('id: positive integer', encodes, { id: 42, data: 'x' }, 'id: 42\ndata: x\n\n');
test('id: negative and fractional numbers', encodes, { id: -1.5, data: 'x' }, 'id: -1.5\ndata: x\n\n');
test('id: -0 is written as 0', encodes, { id: -0, data: 'x' }, 'id: 0\ndata: x\n\n');
test('id: empty string is written (resets lastEventId)', encodes, { id: '', data: 'x' }, 'id: \ndata: x\n\n');
test('id: unicode', encodes, { id: 'é😀', data: 'x' }, 'id: é😀\ndata: x\n\n');
test('id: with spaces and colons', encodes, { id: ' a:b ', data: 'x' }, 'id:  a:b \ndata: x\n\n');

// event
test('event: name', encodes, { event: 'update', data: 'x' }, 'event: update\ndata: x\n\n');
test('event: empty string', encodes, { event: '', data: 'x' }, 'event: \ndata: x\n\n');
test('event: unicode', encodes, { event: 'màj😀', data: 'x' }, 'event: màj😀\ndata: x\n\n');

// retry
test('retry: 0', encodes, { retry: 0, data: 'x' }, 'retry: 0\ndata: x\n\n');
test('retry: 3000', encodes, { retry: 3000, data: 'x' }, 'retry: 3000\ndata: x\n\n');
test('retry: -0 is written as 0', encodes, { retry: -0, data: 'x' }, 'retry: 0\ndata: x\n\n');
test(
  'retry: MAX_SAFE_INTEGER in plain digits',
  encodes,
  { retry: Number.MAX_SAFE_INTEGER, data: 'x' },
  'retry: 9007199254740991\ndata: x\n\n',
);
test('retry: with data: [] (retry-only frame)', encodes, { retry: 10, data: [] }, 'retry: 10\n\n');

// combinations
test('id + event', encodes, { event: 'e', id: 1, data: 'x' }, 'id: 1\nevent: e\ndata: x\n\n');
test('event + retry', encodes, { retry: 5, event: 'e', data: 'x' }, 'event: e\nretry: 5\ndata: x\n\n');
test('id + retry', encodes, { retry: 5, id: 'i', data: 'x' }, 'id: i\nretry: 5\ndata: x\n\n');
test('comment + id', encodes, { id: 'i', comment: 'c', data: 'x' }, ': c\nid: i\ndata: x\n\n');
test(
  'every field, properties given in reverse order',
  encodes,
  { retry: 500, id: '7', event: 'ev', comment: 'c1\nc2', data: ['l1', 'l2\r\nl3'] },
  ': c1\n: c2\nid: 7\nevent: ev\nretry: 500\ndata: l1\ndata: l2\ndata: l3\n\n',
);
test(
  'every field with data: []',
  encodes,
  { data: [], comment: ['c'], id: 0, event: 'e', retry: 0 },
  ': c\nid: 0\nevent: e\nretry: 0\n\n',
);
test(
  'every field with empty strings',
  encodes,
  { data: '', comment: '', id: '', event: '' },
  ': \nid: \nevent: \ndata: \n\n',
);

// defaultId: used only when chunk.id is absent
test('defaultId: used when the chunk has no id', encodes, { data: 'x' }, 'id: ev-1\ndata: x\n\n', 'ev-1');
test('defaultId: numeric 0 is written', encodes, { data: 'x' }, 'id: 0\ndata: x\n\n', 0);
test('defaultId: chunk.id wins', encodes, { id: 'own', data: 'x' }, 'id: own\ndata: x\n\n', 'ev-1');
test('defaultId: chunk.id 0 wins', encodes, { id: 0, data: 'x' }, 'id: 0\ndata: x\n\n', 'ev-1');
test('defaultId: chunk.id "" wins', encodes, { id: '', data: 'x' }, 'id: \ndata: x\n\n', 'ev-1');
test('defaultId: chunk.id undefined means absent', encodes, { id: undefined, data: 'x' }, 'id: ev-1\ndata: x\n\n', 'ev-1');
test('defaultId: undefined writes no id', encodes, { data: 'x' }, 'data: x\n\n', undefined);
test(
  'defaultId: position among the other fields',
  encodes,
  { comment: 'c', event: 'e', retry: 1, data: 'x' },
  ': c\nid: 9\nevent: e\nretry: 1\ndata: x\n\n',
  9,
);

test('optional fields explicitly undefined are absent', (t) => {
  const chunk: Chunk = { data: 'x', comment: undefined, event: undefined, id: undefined, retry: undefined };
  t.is(encodeChunk(chunk), 'data: x\n\n');
});

test('encodeChunk does not mutate its input', (t) => {
  const data = ['a\nb', 'c'];
  const chunk: Chunk = { data, comment: 'c', id: 1, event: 'e', retry: 2 };
  encodeChunk(chunk, 'd');
  t.deepEqual(chunk, { data: ['a\nb', 'c'], comment: 'c', id: 1, event: 'e', retry: 2 });
  t.is(chunk.data, data);
});

test('the output contains exactly one blank line, at the end', (t) => {
  const out = encodeChunk({ comment: '\n\n', id: 1, event: 'e', retry: 1, data: ['\n\n', '', '\r\n\r\n'] });
  t.is(out.indexOf('\n\n'), out.length - 2);
  t.is(out, ': \n: \n: \nid: 1\nevent: e\nretry: 1\ndata: \ndata: \ndata: \ndata: \ndata: \ndata: \ndata: \n\n');
});

// ---------------------------------------------------------------------------------------------
// encodeComment
// ---------------------------------------------------------------------------------------------

test('encodeComment: single line', (t) => {
  t.is(encodeComment('keep-alive'), ': keep-alive\n\n');
});
test('encodeComment: empty string', (t) => {
  t.is(encodeComment(''), ': \n\n');
});
test('encodeComment: CR, LF, CRLF split', (t) => {
  t.is(encodeComment('a\nb\r\nc\rd'), ': a\n: b\n: c\n: d\n\n');
});
test('encodeComment: trailing LF gives an empty last comment line', (t) => {
  t.is(encodeComment('a\n'), ': a\n: \n\n');
});
test('encodeComment: unicode', (t) => {
  t.is(encodeComment('😀 é'), ': 😀 é\n\n');
});

// ---------------------------------------------------------------------------------------------
// Invalid chunks: InvalidChunkError naming the field, nothing produced.
// ---------------------------------------------------------------------------------------------

const rejects = test.macro({
  exec(t, chunk: unknown, field: string, message: string, defaultId?: string | number) {
    let out: string | undefined;
    const error = t.throws(
      () => {
        out = encodeChunk(chunk as Chunk, defaultId);
      },
      { instanceOf: InvalidChunkError },
    );
    t.is(out, undefined, 'encodeChunk produced output for an invalid chunk');
    t.is(error?.field, field);
    t.is(error?.message, message);
    t.true(error?.message.includes(`"${field}"`), 'the message names the field');
    t.is(error?.name, 'InvalidChunkError');
    t.true(error instanceof TypeError);
    // the value carried is the offending one (same reference / same number, NaN included)
    const c = chunk as Record<string, unknown> | null;
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(field);
    const expectedValue =
      field === 'chunk' || c === null || typeof c !== 'object'
        ? chunk
        : m?.[2] !== undefined
          ? (c[m[1] as string] as unknown[])[Number(m[2])]
          : c[m?.[1] as string];
    t.is(error?.value, expectedValue);
    // validateChunk throws the same error
    const again = t.throws(() => validateChunk(chunk), { instanceOf: InvalidChunkError });
    t.is(again?.field, field);
    t.is(again?.message, message);
  },
  title: (provided = '') => `rejects ${provided}`,
});

const DATA_REQUIRED = 'required: a string or an array of strings';
const EVERY_ELEMENT = 'every element must be a string';
const NOT_LINES = 'must be a string or an array of strings';
const NO_CR_LF = 'must not contain CR or LF';
const NO_CR_LF_NUL = 'must not contain CR, LF or NUL';
const FINITE = 'a numeric id must be finite';
const ID_TYPE = 'must be a string or a number';
const RETRY = 'must be a non-negative integer (milliseconds)';
const CHUNK = 'must be an object with at least a `data` field';

// chunk itself
test('chunk null', rejects, null, 'chunk', `Invalid SSE chunk field "chunk" (null): ${CHUNK}`);
test('chunk undefined', rejects, undefined, 'chunk', `Invalid SSE chunk field "chunk" (undefined): ${CHUNK}`);
test('chunk array', rejects, ['x'], 'chunk', `Invalid SSE chunk field "chunk" (array of 1): ${CHUNK}`);
test('chunk string', rejects, 'data: x', 'chunk', `Invalid SSE chunk field "chunk" ("data: x"): ${CHUNK}`);
test('chunk number', rejects, 5, 'chunk', `Invalid SSE chunk field "chunk" (5): ${CHUNK}`);

// data
test('missing data', rejects, {}, 'data', `Invalid SSE chunk field "data" (undefined): ${DATA_REQUIRED}`);
test('missing data with other fields', rejects, { event: 'e', id: 1 }, 'data', `Invalid SSE chunk field "data" (undefined): ${DATA_REQUIRED}`);
test('data null', rejects, { data: null }, 'data', `Invalid SSE chunk field "data" (null): ${DATA_REQUIRED}`);
test('data number', rejects, { data: 42 }, 'data', `Invalid SSE chunk field "data" (42): ${DATA_REQUIRED}`);
test('data boolean', rejects, { data: true }, 'data', `Invalid SSE chunk field "data" (true): ${DATA_REQUIRED}`);
test('data object', rejects, { data: { a: 1 } }, 'data', `Invalid SSE chunk field "data" (object): ${DATA_REQUIRED}`);
test('data array with a number at 1', rejects, { data: ['a', 1, 'b'] }, 'data[1]', `Invalid SSE chunk field "data[1]" (1): ${EVERY_ELEMENT}`);
test('data array with null at 0', rejects, { data: [null] }, 'data[0]', `Invalid SSE chunk field "data[0]" (null): ${EVERY_ELEMENT}`);
test(
  'data array: the first bad element is reported',
  rejects,
  { data: ['a', 'b', {}, 3] },
  'data[2]',
  `Invalid SSE chunk field "data[2]" (object): ${EVERY_ELEMENT}`,
);
// eslint-disable-next-line no-sparse-arrays
const sparse = ['a', , 'b'];
test(
  'data sparse array (hole at 1)',
  rejects,
  { data: sparse },
  'data[1]',
  `Invalid SSE chunk field "data[1]" (undefined): ${EVERY_ELEMENT}`,
);
test('data nested array', rejects, { data: [['a']] }, 'data[0]', `Invalid SSE chunk field "data[0]" (array of 1): ${EVERY_ELEMENT}`);

// comment
test('comment number', rejects, { data: 'x', comment: 1 }, 'comment', `Invalid SSE chunk field "comment" (1): ${NOT_LINES}`);
test('comment null', rejects, { data: 'x', comment: null }, 'comment', `Invalid SSE chunk field "comment" (null): ${NOT_LINES}`);
test(
  'comment array with a non-string',
  rejects,
  { data: 'x', comment: ['ok', false] },
  'comment[1]',
  `Invalid SSE chunk field "comment[1]" (false): ${EVERY_ELEMENT}`,
);

// event
test('event with LF', rejects, { data: 'x', event: 'a\nb' }, 'event', `Invalid SSE chunk field "event" ("a\\nb"): ${NO_CR_LF}`);
test('event with CR', rejects, { data: 'x', event: 'a\rb' }, 'event', `Invalid SSE chunk field "event" ("a\\rb"): ${NO_CR_LF}`);
test('event with CRLF', rejects, { data: 'x', event: 'a\r\n' }, 'event', `Invalid SSE chunk field "event" ("a\\r\\n"): ${NO_CR_LF}`);
test('event only LF', rejects, { data: 'x', event: '\n' }, 'event', `Invalid SSE chunk field "event" ("\\n"): ${NO_CR_LF}`);
test('event number', rejects, { data: 'x', event: 1 }, 'event', 'Invalid SSE chunk field "event" (1): must be a string');
test('event null', rejects, { data: 'x', event: null }, 'event', 'Invalid SSE chunk field "event" (null): must be a string');
test(
  'event: a long value is truncated to 60 chars in the message',
  rejects,
  { data: 'x', event: 'e'.repeat(70) + '\n' },
  'event',
  `Invalid SSE chunk field "event" ("${'e'.repeat(60)}…"): ${NO_CR_LF}`,
);

// id
test('id with LF', rejects, { data: 'x', id: 'a\nb' }, 'id', `Invalid SSE chunk field "id" ("a\\nb"): ${NO_CR_LF_NUL}`);
test('id with CR', rejects, { data: 'x', id: 'a\rb' }, 'id', `Invalid SSE chunk field "id" ("a\\rb"): ${NO_CR_LF_NUL}`);
test('id with NUL', rejects, { data: 'x', id: 'a\0b' }, 'id', `Invalid SSE chunk field "id" ("a\\u0000b"): ${NO_CR_LF_NUL}`);
test('id NaN', rejects, { data: 'x', id: Number.NaN }, 'id', `Invalid SSE chunk field "id" (NaN): ${FINITE}`);
test('id Infinity', rejects, { data: 'x', id: Number.POSITIVE_INFINITY }, 'id', `Invalid SSE chunk field "id" (Infinity): ${FINITE}`);
test('id -Infinity', rejects, { data: 'x', id: Number.NEGATIVE_INFINITY }, 'id', `Invalid SSE chunk field "id" (-Infinity): ${FINITE}`);
test('id object', rejects, { data: 'x', id: { n: 1 } }, 'id', `Invalid SSE chunk field "id" (object): ${ID_TYPE}`);
test('id null', rejects, { data: 'x', id: null }, 'id', `Invalid SSE chunk field "id" (null): ${ID_TYPE}`);
test('id boolean', rejects, { data: 'x', id: true }, 'id', `Invalid SSE chunk field "id" (true): ${ID_TYPE}`);
test('id bigint', rejects, { data: 'x', id: 1n }, 'id', `Invalid SSE chunk field "id" (bigint): ${ID_TYPE}`);
test(
  'id invalid even when a defaultId is given',
  rejects,
  { data: 'x', id: 'a\nb' },
  'id',
  `Invalid SSE chunk field "id" ("a\\nb"): ${NO_CR_LF_NUL}`,
  'fine',
);

// retry
test('retry -1', rejects, { data: 'x', retry: -1 }, 'retry', `Invalid SSE chunk field "retry" (-1): ${RETRY}`);
test('retry 1.5', rejects, { data: 'x', retry: 1.5 }, 'retry', `Invalid SSE chunk field "retry" (1.5): ${RETRY}`);
test('retry NaN', rejects, { data: 'x', retry: Number.NaN }, 'retry', `Invalid SSE chunk field "retry" (NaN): ${RETRY}`);
test('retry "10"', rejects, { data: 'x', retry: '10' }, 'retry', `Invalid SSE chunk field "retry" ("10"): ${RETRY}`);
test('retry Infinity', rejects, { data: 'x', retry: Number.POSITIVE_INFINITY }, 'retry', `Invalid SSE chunk field "retry" (Infinity): ${RETRY}`);
test(
  'retry beyond MAX_SAFE_INTEGER',
  rejects,
  { data: 'x', retry: 2 ** 53 },
  'retry',
  `Invalid SSE chunk field "retry" (9007199254740992): ${RETRY}`,
);
test('retry 1e21 (would print as 1e+21)', rejects, { data: 'x', retry: 1e21 }, 'retry', `Invalid SSE chunk field "retry" (1e+21): ${RETRY}`);
test('retry null', rejects, { data: 'x', retry: null }, 'retry', `Invalid SSE chunk field "retry" (null): ${RETRY}`);

// several bad fields: the first in check order (data, comment, event, id, retry) is reported
test(
  'first bad field wins: data before event',
  rejects,
  { data: 1, event: 'a\nb', id: 'a\nb', retry: -1 },
  'data',
  `Invalid SSE chunk field "data" (1): ${DATA_REQUIRED}`,
);
test(
  'first bad field wins: comment before event',
  rejects,
  { data: 'x', comment: 1, event: 'a\nb' },
  'comment',
  `Invalid SSE chunk field "comment" (1): ${NOT_LINES}`,
);
test(
  'first bad field wins: event before id',
  rejects,
  { data: 'x', event: 'a\nb', id: 'a\nb', retry: -1 },
  'event',
  `Invalid SSE chunk field "event" ("a\\nb"): ${NO_CR_LF}`,
);
test(
  'first bad field wins: id before retry',
  rejects,
  { data: 'x', id: Number.NaN, retry: -1 },
  'id',
  `Invalid SSE chunk field "id" (NaN): ${FINITE}`,
);

// The wire id of encodeChunk(chunk, defaultId) is `chunk.id ?? defaultId`; encodeChunk is public and
// documented to validate first, so an unusable defaultId must be rejected like an unusable chunk.id:
// otherwise `encodeChunk({ data: 'x' }, 'a\n\ndata: injected')` writes a second, forged frame.
test('defaultId with LF is rejected as the wire id (no frame injection)', (t) => {
  let out: string | undefined;
  const error = t.throws(
    () => (out = encodeChunk({ data: 'x' }, '1\n\ndata: injected')),
    { instanceOf: InvalidChunkError },
  );
  t.is(out, undefined, `encodeChunk produced ${JSON.stringify(out)}`);
  t.is(error?.field, 'id');
});
test('defaultId with CR or NUL, or NaN, is rejected as the wire id', (t) => {
  for (const bad of ['a\rb', 'a\0b', Number.NaN]) {
    let out: string | undefined;
    const error = t.throws(
      () => (out = encodeChunk({ data: 'x' }, bad)),
      { instanceOf: InvalidChunkError },
      `defaultId ${JSON.stringify(String(bad))}`,
    );
    t.is(out, undefined, `encodeChunk produced ${JSON.stringify(out)}`);
    t.is(error?.field, 'id');
  }
});

test('InvalidChunkError is re-exported unchanged from src/errors.ts', (t) => {
  t.is(InvalidChunkErrorFromErrors, InvalidChunkError);
});

// ---------------------------------------------------------------------------------------------
// checkId / checkRetry (used for events too)
// ---------------------------------------------------------------------------------------------

test('checkId accepts finite numbers and strings without CR/LF/NUL', (t) => {
  for (const id of [0, -0, 1, -1, 1.5, Number.MAX_VALUE, '', 'a b', 'é😀', 'a:b']) {
    t.notThrows(() => checkId('x', id), `id ${String(id)}`);
  }
});

test('checkId reports the field name it is given', (t) => {
  const error = t.throws(() => checkId('SseEvent.id', 'a\nb'), { instanceOf: InvalidChunkError });
  t.is(error?.field, 'SseEvent.id');
  t.is(error?.value, 'a\nb');
  t.is(error?.message, `Invalid SSE chunk field "SseEvent.id" ("a\\nb"): ${NO_CR_LF_NUL}`);
});

test('checkRetry accepts 0 and positive safe integers, rejects the rest', (t) => {
  for (const ok of [0, -0, 1, 1000, Number.MAX_SAFE_INTEGER]) t.notThrows(() => checkRetry('retry', ok), `retry ${ok}`);
  for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1', null, undefined, 1n]) {
    const error = t.throws(() => checkRetry('r', bad), { instanceOf: InvalidChunkError }, `retry ${String(bad)}`);
    t.is(error?.field, 'r');
    t.is(error?.value, bad);
  }
});

// ---------------------------------------------------------------------------------------------
// validateEvent / wireId
// ---------------------------------------------------------------------------------------------

const goodEvent = (): SseEvent => ({ id: 'e1', topic: 't', data: { data: 'x' } });

test('validateEvent accepts a well-formed event (string or number id)', (t) => {
  t.notThrows(() => validateEvent(goodEvent()));
  t.notThrows(() => validateEvent({ id: 0, topic: 'a.b', data: { data: [], id: 1, event: 'e', retry: 0, comment: 'c' } }));
});

const rejectsEvent = test.macro({
  exec(t, event: unknown, field: string, message: string) {
    const error = t.throws(() => validateEvent(event), { instanceOf: InvalidChunkError });
    t.is(error?.field, field);
    t.is(error?.message, message);
  },
  title: (provided = '') => `validateEvent rejects ${provided}`,
});

test('null', rejectsEvent, null, 'SseEvent', 'Invalid SSE chunk field "SseEvent" (null): must be an object { id, topic, data }');
test('a string', rejectsEvent, 'x', 'SseEvent', 'Invalid SSE chunk field "SseEvent" ("x"): must be an object { id, topic, data }');
test('missing id', rejectsEvent, { topic: 't', data: { data: 'x' } }, 'SseEvent.id', `Invalid SSE chunk field "SseEvent.id" (undefined): ${ID_TYPE}`);
test('id with LF', rejectsEvent, { ...goodEvent(), id: 'a\nb' }, 'SseEvent.id', `Invalid SSE chunk field "SseEvent.id" ("a\\nb"): ${NO_CR_LF_NUL}`);
test('id with CR', rejectsEvent, { ...goodEvent(), id: '\r' }, 'SseEvent.id', `Invalid SSE chunk field "SseEvent.id" ("\\r"): ${NO_CR_LF_NUL}`);
test('id with NUL', rejectsEvent, { ...goodEvent(), id: '\0' }, 'SseEvent.id', `Invalid SSE chunk field "SseEvent.id" ("\\u0000"): ${NO_CR_LF_NUL}`);
test('id NaN', rejectsEvent, { ...goodEvent(), id: Number.NaN }, 'SseEvent.id', `Invalid SSE chunk field "SseEvent.id" (NaN): ${FINITE}`);
test('id object', rejectsEvent, { ...goodEvent(), id: {} }, 'SseEvent.id', `Invalid SSE chunk field "SseEvent.id" (object): ${ID_TYPE}`);
test('missing topic', rejectsEvent, { id: 1, data: { data: 'x' } }, 'SseEvent.topic', 'Invalid SSE chunk field "SseEvent.topic" (undefined): must be a string');
test('topic number', rejectsEvent, { ...goodEvent(), topic: 1 }, 'SseEvent.topic', 'Invalid SSE chunk field "SseEvent.topic" (1): must be a string');
test('missing chunk', rejectsEvent, { id: 1, topic: 't' }, 'chunk', `Invalid SSE chunk field "chunk" (undefined): ${CHUNK}`);
test('chunk is a string', rejectsEvent, { ...goodEvent(), data: 'x' }, 'chunk', `Invalid SSE chunk field "chunk" ("x"): ${CHUNK}`);
test('chunk without data', rejectsEvent, { ...goodEvent(), data: {} }, 'data', `Invalid SSE chunk field "data" (undefined): ${DATA_REQUIRED}`);
test('chunk with a bad event', rejectsEvent, { ...goodEvent(), data: { data: 'x', event: 'a\rb' } }, 'event', `Invalid SSE chunk field "event" ("a\\rb"): ${NO_CR_LF}`);
test('chunk with a bad id', rejectsEvent, { ...goodEvent(), data: { data: 'x', id: 'a\0' } }, 'id', `Invalid SSE chunk field "id" ("a\\u0000"): ${NO_CR_LF_NUL}`);
test('chunk with a bad retry', rejectsEvent, { ...goodEvent(), data: { data: 'x', retry: 1.5 } }, 'retry', `Invalid SSE chunk field "retry" (1.5): ${RETRY}`);
test('id checked before topic and chunk', rejectsEvent, { id: Number.NaN, topic: 1, data: null }, 'SseEvent.id', `Invalid SSE chunk field "SseEvent.id" (NaN): ${FINITE}`);

test('wireId: the event id when the chunk has none', (t) => {
  t.is(wireId({ id: 'e1', topic: 't', data: { data: 'x' } }), 'e1');
  t.is(wireId({ id: 7, topic: 't', data: { data: 'x' } }), '7');
  t.is(wireId({ id: 0, topic: 't', data: { data: 'x' } }), '0');
});

test('wireId: chunk.id wins over event.id', (t) => {
  t.is(wireId({ id: 'e1', topic: 't', data: { data: 'x', id: 'c1' } }), 'c1');
  t.is(wireId({ id: 'e1', topic: 't', data: { data: 'x', id: 12 } }), '12');
});

test('wireId: chunk.id 0 and "" win over event.id (not treated as absent)', (t) => {
  t.is(wireId({ id: 'e1', topic: 't', data: { data: 'x', id: 0 } }), '0');
  t.is(wireId({ id: 'e1', topic: 't', data: { data: 'x', id: '' } }), '');
});

test('wireId agrees with the id encodeChunk writes for an event', (t) => {
  const event: SseEvent = { id: 'e1', topic: 't', data: { data: 'x', id: 0 } };
  t.is(encodeValidChunk(event.data, wireId(event)), 'id: 0\ndata: x\n\n');
  const noChunkId: SseEvent = { id: 5, topic: 't', data: { data: 'x' } };
  t.is(encodeValidChunk(noChunkId.data, wireId(noChunkId)), 'id: 5\ndata: x\n\n');
});
