/**
 * Wire fuzzing, pure half: `encodeChunk` against an independent decoder (eventsource-parser 3,
 * the parser most JS clients use), with fixed seeds. `FUZZ_RUNS=10000 npx ava test/conformance/`
 * for a longer run; a failure prints the seed and the shrunk counterexample.
 */
import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { encodeChunk, InvalidChunkError, type Chunk } from '../../src/index.ts';
import { cutsFor, decodePieces, expected, expectedAll, FUZZ_RUNS, invalidChunk, validChunk } from './arbitraries.ts';

const utf8 = new TextEncoder();

test('any valid chunk decodes to the same data (lines joined with LF), event, id, retry and comments', (t) => {
  fc.assert(
    fc.property(validChunk, (chunk) => {
      const wire = encodeChunk(chunk);
      // Only LF line endings and one blank line at the end: one chunk is one message.
      assert.ok(!wire.includes('\r'), 'LF line endings only');
      // One chunk is one message: its only blank line is the last (a chunk with nothing in it is just that line).
      assert.ok(wire === '\n' || (wire.endsWith('\n\n') && !wire.slice(0, -1).includes('\n\n')), JSON.stringify(wire));
      assert.deepEqual(decodePieces(utf8.encode(wire), []), expected(chunk));
    }),
    { seed: 1401, numRuns: FUZZ_RUNS * 4 },
  );
  t.pass(`seed 1401: ${FUZZ_RUNS * 4} runs`);
});

test('the event id defaults to the event id argument and a chunk id wins over it', (t) => {
  fc.assert(
    fc.property(validChunk, fc.oneof(fc.string({ maxLength: 8 }).map((s) => s.replace(/[\r\n\0]/g, '')), fc.integer()), (chunk, eventId) => {
      const [event] = decodePieces(utf8.encode(encodeChunk(chunk, eventId)), []).events;
      if (event) assert.equal(event.id, String(chunk.id ?? eventId));
    }),
    { seed: 1402, numRuns: FUZZ_RUNS },
  );
  t.pass(`seed 1402: ${FUZZ_RUNS} runs`);
});

test('any invalid chunk throws InvalidChunkError naming the bad field', (t) => {
  fc.assert(
    fc.property(invalidChunk, ({ chunk, field }) => {
      assert.throws(() => encodeChunk(chunk as Chunk), (error) => error instanceof InvalidChunkError && error.field === field);
    }),
    { seed: 1403, numRuns: FUZZ_RUNS * 2 },
  );
  t.pass(`seed 1403: ${FUZZ_RUNS * 2} runs`);
});

/**
 * The same stream written with CRLF or CR line endings per message, as another producer or a
 * proxy may send it: the spec treats all three alike. Our encoder writes LF only, so this is what
 * puts CR-then-LF pairs on the wire for the splitting property below to cut between.
 */
const lineEndings = fc.constantFrom('\n', '\r\n', '\r');

test('random splits into TCP-sized pieces (inside UTF-8 characters, between CR and LF) parse the same as unsplit', (t) => {
  const stream = fc.array(fc.tuple(validChunk, lineEndings), { minLength: 1, maxLength: 12 }).map((messages) => {
    const chunks = messages.map(([chunk]) => chunk);
    // A block's lines all end alike, so a CR never meets the next line's LF (which would make a CRLF).
    // The final LF: eventsource-parser holds a trailing CR until the next byte (it may be half a
    // CRLF), so a stream ending in CR would leave its last message undispatched.
    const wire = messages.map(([chunk, eol]) => encodeChunk(chunk).replaceAll('\n', eol)).join('') + '\n';
    return { chunks, bytes: utf8.encode(wire) };
  });
  fc.assert(
    fc.property(
      stream.chain(({ chunks, bytes }) => fc.tuple(fc.constant(chunks), fc.constant(bytes), cutsFor(bytes))),
      ([chunks, bytes, cuts]) => {
        const whole = decodePieces(bytes, []);
        assert.deepEqual(whole, expectedAll(chunks));
        assert.deepEqual(decodePieces(bytes, cuts), whole);
      },
    ),
    { seed: 1404, numRuns: FUZZ_RUNS },
  );
  t.pass(`seed 1404: ${FUZZ_RUNS} runs`);
});

test('cuts hit what they should: inside a 4-byte character and between CR and LF', (t) => {
  // A fixed case beside the random ones, so the property above is known to reach both splits.
  const bytes = utf8.encode('data: 😀\r\n\r\ndata: é€\r\r\n');
  const cuts = [8, 10, 11, 12, 13, 20, 22];
  t.deepEqual(decodePieces(bytes, cuts), { events: [{ data: '😀' }, { data: 'é€' }], comments: [], retries: [] });
  // Every single cut position, one at a time.
  for (let cut = 1; cut < bytes.length; cut++) t.deepEqual(decodePieces(bytes, [cut]), decodePieces(bytes, []), `cut at ${cut}`);
});
