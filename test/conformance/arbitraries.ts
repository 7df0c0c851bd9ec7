/**
 * fast-check arbitraries for the wire fuzz tests, and what a spec-conforming client must decode
 * from each chunk (computed from the chunk alone, never from the encoder's output).
 */
import fc from 'fast-check';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Chunk } from '../../src/index.ts';

/** Runs per property: small by default (CI on a busy 2-core box), `FUZZ_RUNS=10000` for a long hunt. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 150;

/**
 * One unit of text, weighted so short strings still mix every case: ASCII, line breaks of the
 * three kinds (adjacent units also make `\r` + `\n` pairs), 2-, 3- and 4-byte UTF-8 characters,
 * NUL, a BOM, and any code point at all (no lone surrogates: UTF-8 cannot carry them).
 */
const unit: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.constantFrom('\r', '\n', '\r\n') },
  { weight: 2, arbitrary: fc.constantFrom('é', 'ü', 'ß', 'Ω', 'ж') },
  { weight: 2, arbitrary: fc.constantFrom('€', '中', '文', '\u2028', '\u{FEFF}') },
  { weight: 2, arbitrary: fc.constantFrom('😀', '𝄞', '🇫🇷', '\u{10FFFF}') },
  { weight: 1, arbitrary: fc.constantFrom('\0', ':', ' ', 'data: x') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Any text, line breaks included (for `data` and `comment`). */
export const text = fc.string({ unit, maxLength: 24 });
/** Text without CR or LF (for `event` and string ids; ids also lose NUL). */
const oneLine = fc.string({ unit, maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ''));

const lines = fc.oneof(text, fc.array(text, { maxLength: 4 }));

/** Any chunk `validateChunk` accepts. */
export const validChunk: fc.Arbitrary<Chunk> = fc.record(
  {
    data: lines,
    comment: lines,
    event: oneLine,
    id: fc.oneof(
      oneLine.map((s) => s.replace(/\0/g, '')),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    ),
    retry: fc.oneof(fc.nat(60_000), fc.maxSafeNat()),
  },
  { requiredKeys: ['data'] },
);

/** A chunk with exactly one thing wrong, and the field `InvalidChunkError` must name. */
export const invalidChunk: fc.Arbitrary<{ chunk: unknown; field: string }> = fc.oneof(
  fc.constantFrom(null, undefined, 'data: x', 42, ['x']).map((chunk) => ({ chunk, field: 'chunk' })),
  validChunk.chain((base) =>
    fc.oneof(
      fc.constantFrom(undefined, null, 1, {}, true).map((data) => ({ chunk: { ...base, data }, field: 'data' })),
      fc.tuple(fc.array(text, { maxLength: 2 }), fc.constantFrom(null, 1, {})).map(([good, bad]) => ({ chunk: { ...base, data: [...good, bad] }, field: `data[${good.length}]` })),
      fc.constantFrom(null, 1, {}).map((comment) => ({ chunk: { ...base, comment }, field: 'comment' })),
      fc.tuple(oneLine, fc.constantFrom('\r', '\n', '\r\n'), oneLine).map(([a, brk, b]) => ({ chunk: { ...base, event: a + brk + b }, field: 'event' })),
      fc.constantFrom(1, null, {}).map((event) => ({ chunk: { ...base, event }, field: 'event' })),
      fc.tuple(oneLine, fc.constantFrom('\r', '\n', '\0'), oneLine).map(([a, bad, b]) => ({ chunk: { ...base, id: a + bad + b }, field: 'id' })),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, null, true, {}).map((id) => ({ chunk: { ...base, id }, field: 'id' })),
      fc
        .oneof(fc.integer({ max: -1 }), fc.double({ min: 0.001, max: 1e6, noInteger: true }), fc.constantFrom(Number.NaN, Infinity, '100', null, 2 ** 53))
        .map((retry) => ({ chunk: { ...base, retry }, field: 'retry' })),
    ),
  ),
);

/** What eventsource-parser reports for one encoded chunk. */
export interface Decoded {
  events: EventSourceMessage[];
  comments: string[];
  retries: number[];
}

/** Every CRLF, CR or LF of one value becomes one line; the spec joins data lines with LF. */
const splitLines = (value: string | readonly string[]): string[] => (typeof value === 'string' ? [value] : [...value]).flatMap((item) => item.split(/\r\n|\r|\n/));

/** What a conforming parser must give back for `chunk`, worked out from the chunk alone. */
export function expected(chunk: Chunk): Decoded {
  const data = splitLines(chunk.data);
  const event: EventSourceMessage = { data: data.join('\n') };
  if (chunk.id !== undefined) event.id = String(chunk.id);
  // An empty `event:` is the default type; eventsource-parser leaves the field out, as for none.
  if (chunk.event) event.event = chunk.event;
  return {
    // No data line, no dispatch (spec: an empty data buffer dispatches nothing).
    events: data.length === 0 ? [] : [event],
    comments: chunk.comment === undefined ? [] : splitLines(chunk.comment),
    retries: chunk.retry === undefined ? [] : [chunk.retry],
  };
}

/** A streaming client: a UTF-8 decoder in stream mode feeding eventsource-parser, as fetch + parser do. */
export class StreamingClient {
  readonly decoded: Decoded = { events: [], comments: [], retries: [] };
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly parser = createParser({
    // The parser sets absent fields to undefined; keep only the fields the stream carried.
    onEvent: (event) => this.decoded.events.push(JSON.parse(JSON.stringify(event)) as EventSourceMessage),
    onComment: (comment) => this.decoded.comments.push(comment),
    onRetry: (retry) => this.decoded.retries.push(retry),
    onError: (error) => {
      throw error;
    },
  });

  feed(bytes: Uint8Array): void {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
  }

  end(): Decoded {
    this.parser.feed(this.decoder.decode());
    return this.decoded;
  }
}

/** Decodes `bytes` cut at `cuts` (byte offsets), one piece at a time. */
export function decodePieces(bytes: Uint8Array, cuts: readonly number[]): Decoded {
  const client = new StreamingClient();
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= from || cut >= bytes.length) continue;
    client.feed(bytes.subarray(from, cut));
    from = cut;
  }
  client.feed(bytes.subarray(from));
  return client.end();
}

/** Concatenates what each chunk should decode to. */
export function expectedAll(chunks: readonly Chunk[]): Decoded {
  const all: Decoded = { events: [], comments: [], retries: [] };
  for (const chunk of chunks) {
    const one = expected(chunk);
    all.events.push(...one.events);
    all.comments.push(...one.comments);
    all.retries.push(...one.retries);
  }
  return all;
}

/**
 * Cut points for `bytes`: TCP-sized pieces (1 byte to a full segment), plus cuts forced inside
 * multi-byte UTF-8 characters and between CR and LF when there are any.
 */
export function cutsFor(bytes: Uint8Array): fc.Arbitrary<number[]> {
  const inside: number[] = [];
  const crlf: number[] = [];
  for (let i = 1; i < bytes.length; i++) {
    if (((bytes[i] ?? 0) & 0xc0) === 0x80) inside.push(i); // a continuation byte: cutting here splits a character
    if (bytes[i - 1] === 0x0d && bytes[i] === 0x0a) crlf.push(i);
  }
  const pick = (positions: number[]) => (positions.length === 0 ? fc.constant<number[]>([]) : fc.array(fc.constantFrom(...positions), { minLength: 1, maxLength: 8 }));
  const sizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 1460 })), { minLength: 1, maxLength: 40 });
  return fc.tuple(sizes, pick(inside), pick(crlf)).map(([steps, a, b]) => {
    const cuts: number[] = [];
    let at = 0;
    for (const step of steps) cuts.push((at += step));
    return [...cuts, ...a, ...b];
  });
}
