import { InvalidChunkError } from './errors.ts';

/**
 * One Server-Sent Events message, as Elixir `sse`'s `%SSE.Chunk{}`.
 * Only `data` is required; `data: []` writes no data lines (a comment- or retry-only chunk).
 * @example
 * ```ts
 * const chunk: Chunk = { data: ['line 1', 'line 2'], event: 'rates', id: 7, retry: 5000 };
 * ```
 */
export interface Chunk {
  /** Each line (CRLF, CR and LF all split) becomes its own `data:` line; an array gives lines per element. */
  data: string | readonly string[];
  /** Written as `: ` comment lines, split like `data`. Ignored by browsers; useful for debugging and padding. */
  comment?: string | readonly string[];
  /** The `event:` field: the browser dispatches the message under this type instead of `message`. */
  event?: string;
  /** The `id:` field, becomes the browser's `lastEventId`. No CR, LF or NUL. */
  id?: string | number;
  /** The `retry:` field: the browser's reconnection delay in ms. A non-negative integer. */
  retry?: number;
}

/**
 * An event published to a topic, as event_bus's `%EventBus.Model.Event{}`.
 * @example
 * ```ts
 * const event: SseEvent = { id: crypto.randomUUID(), topic: 'news', data: { data: 'hello' } };
 * system.notify(event);
 * ```
 */
export interface SseEvent {
  /** The event's id; the wire `id:` is `data.id ?? id`. */
  id: string | number;
  /** A registered topic. */
  topic: string;
  /** What subscribers receive. */
  data: Chunk;
}

const LINE_BREAK = /\r\n|\r|\n/;
const CR_OR_LF = /[\r\n]/;
const CR_LF_OR_NUL = /[\r\n\0]/;

/** Checks a `data`/`comment` value and returns it (an array copied, each element read once). */
function checkLines(field: string, value: unknown, required: boolean): string | readonly string[] | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const copy: string[] = [];
    const length = value.length;
    for (let i = 0; i < length; i++) {
      const line: unknown = value[i];
      if (typeof line !== 'string') throw new InvalidChunkError(`${field}[${i}]`, line, 'every element must be a string');
      copy.push(line);
    }
    return copy;
  }
  throw new InvalidChunkError(field, value, required ? 'required: a string or an array of strings' : 'must be a string or an array of strings');
}

/** Checks an `id` value (a chunk's or an event's): a finite number, or a string without CR, LF or NUL. */
export function checkId(field: string, id: unknown): void {
  if (typeof id === 'number') {
    if (!Number.isFinite(id)) throw new InvalidChunkError(field, id, 'a numeric id must be finite');
    return;
  }
  if (typeof id !== 'string') throw new InvalidChunkError(field, id, 'must be a string or a number');
  if (CR_LF_OR_NUL.test(id)) throw new InvalidChunkError(field, id, 'must not contain CR, LF or NUL');
}

/** Checks a reconnection delay: a non-negative safe integer of milliseconds. */
export function checkRetry(field: string, retry: unknown): void {
  if (typeof retry !== 'number' || !Number.isSafeInteger(retry) || retry < 0) {
    throw new InvalidChunkError(field, retry, 'must be a non-negative integer (milliseconds)');
  }
}

/**
 * Throws {@link InvalidChunkError} naming the first bad field; for a valid chunk returns a plain
 * copy of its fields, each read exactly once. Encode the copy, not the original: an object whose
 * getters answer differently on a second read cannot put an unchecked value on the wire.
 * @example
 * ```ts
 * const body: unknown = JSON.parse(text);
 * const chunk = validateChunk(body); // throws InvalidChunkError, or returns a checked copy
 * system.notify({ id: 1, topic: 'news', data: chunk });
 * ```
 */
export function validateChunk(chunk: unknown): Chunk {
  if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
    throw new InvalidChunkError('chunk', chunk, 'must be an object with at least a `data` field');
  }
  const c = chunk as Record<string, unknown>;
  const data = checkLines('data', c.data, true) as string | readonly string[];
  const comment = checkLines('comment', c.comment, false);
  const event: unknown = c.event;
  if (event !== undefined) {
    if (typeof event !== 'string') throw new InvalidChunkError('event', event, 'must be a string');
    if (CR_OR_LF.test(event)) throw new InvalidChunkError('event', event, 'must not contain CR or LF');
  }
  const id: unknown = c.id;
  if (id !== undefined) checkId('id', id);
  const retry: unknown = c.retry;
  if (retry !== undefined) checkRetry('retry', retry);
  const copy: Chunk = { data };
  if (comment !== undefined) copy.comment = comment;
  if (event !== undefined) copy.event = event as string;
  if (id !== undefined) copy.id = id as string | number;
  if (retry !== undefined) copy.retry = retry as number;
  return copy;
}

/** `prefix` + each line of `value` (an array gives lines per element), each ending in LF. */
function lines(prefix: string, value: string | readonly string[]): string {
  if (typeof value === 'string') return linesOf(prefix, value);
  let out = '';
  for (const item of value) out += linesOf(prefix, item);
  return out;
}

function linesOf(prefix: string, item: string): string {
  // Most values are one line: no split, no array.
  if (item.indexOf('\n') === -1 && item.indexOf('\r') === -1) return prefix + item + '\n';
  let out = '';
  for (const line of item.split(LINE_BREAK)) out += prefix + line + '\n';
  return out;
}

/**
 * Encodes a chunk as one `text/event-stream` message (ending in a blank line).
 * `defaultId` is used when the chunk has no `id` (an event's id). Validates first: throws
 * {@link InvalidChunkError} and returns nothing for invalid input.
 * @example
 * ```ts
 * encodeChunk({ data: 'line 1\nline 2', event: 'rates', id: 7 });
 * // 'id: 7\nevent: rates\ndata: line 1\ndata: line 2\n\n'
 * ```
 */
export function encodeChunk(chunk: Chunk, defaultId?: string | number): string {
  const copy = validateChunk(chunk);
  if (copy.id === undefined && defaultId !== undefined) checkId('id', defaultId);
  return encodeValidChunk(copy, defaultId);
}

/** {@link encodeChunk} for the copy {@link validateChunk} (or {@link validateEvent}) returned. */
export function encodeValidChunk(chunk: Chunk, defaultId?: string | number): string {
  let out = chunk.comment === undefined ? '' : lines(': ', chunk.comment);
  const id = chunk.id ?? defaultId;
  if (id !== undefined) out += `id: ${id}\n`;
  if (chunk.event !== undefined) out += `event: ${chunk.event}\n`;
  if (chunk.retry !== undefined) out += `retry: ${chunk.retry}\n`;
  return out + lines('data: ', chunk.data) + '\n';
}

/** Encodes comment lines only (no data, so browsers dispatch nothing): used for keep-alive. */
export function encodeComment(comment: string): string {
  return lines(': ', comment) + '\n';
}

/**
 * A wire id a browser can send back in `Last-Event-ID`: header values lose leading and trailing
 * spaces and tabs, and a lone surrogate cannot be encoded as UTF-8. Such an id would never replay.
 */
export function checkWireId(field: string, id: string): void {
  const first = id.charCodeAt(0);
  const last = id.charCodeAt(id.length - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) {
    throw new InvalidChunkError(field, id, 'must not begin or end with a space or tab (Last-Event-ID could not carry it back)');
  }
  // The plain character class is cheap; the exact pairing check only runs when a surrogate is there.
  if (SURROGATE.test(id) && LONE_SURROGATE.test(id)) throw new InvalidChunkError(field, id, 'must not contain a lone surrogate (it has no UTF-8 encoding)');
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks the shape of an event (`id`, `topic`, `data`) and its chunk; throws {@link InvalidChunkError}.
 * Returns a plain copy (each field read once) whose wire id can round-trip a `Last-Event-ID` header.
 */
export function validateEvent(event: unknown): SseEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidChunkError('SseEvent', event, 'must be an object { id, topic, data }');
  }
  const e = event as Record<string, unknown>;
  const id: unknown = e.id;
  checkId('SseEvent.id', id);
  const topic: unknown = e.topic;
  if (typeof topic !== 'string') throw new InvalidChunkError('SseEvent.topic', topic, 'must be a string');
  const data = validateChunk(e.data);
  const copy: SseEvent = { id: id as string | number, topic, data };
  checkWireId(data.id === undefined ? 'SseEvent.id' : 'id', wireId(copy));
  return copy;
}

/** The id that goes on the wire for an event: the chunk's own id, else the event's. */
export function wireId(event: SseEvent): string {
  return String(event.data.id ?? event.id);
}
