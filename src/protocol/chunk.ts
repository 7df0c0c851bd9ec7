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

function checkLines(field: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value === 'string') return;
  if (Array.isArray(value)) {
    const bad = value.findIndex((line) => typeof line !== 'string');
    if (bad === -1) return;
    throw new InvalidChunkError(`${field}[${bad}]`, value[bad], 'every element must be a string');
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
 * Throws {@link InvalidChunkError} naming the first bad field; returns normally for a valid chunk.
 * @example
 * ```ts
 * const body: unknown = JSON.parse(text);
 * validateChunk(body); // throws InvalidChunkError; past it, body is a Chunk
 * system.notify({ id: 1, topic: 'news', data: body });
 * ```
 */
export function validateChunk(chunk: unknown): asserts chunk is Chunk {
  if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
    throw new InvalidChunkError('chunk', chunk, 'must be an object with at least a `data` field');
  }
  const c = chunk as Record<string, unknown>;
  checkLines('data', c.data, true);
  checkLines('comment', c.comment, false);
  if (c.event !== undefined) {
    if (typeof c.event !== 'string') throw new InvalidChunkError('event', c.event, 'must be a string');
    if (CR_OR_LF.test(c.event)) throw new InvalidChunkError('event', c.event, 'must not contain CR or LF');
  }
  if (c.id !== undefined) checkId('id', c.id);
  if (c.retry !== undefined) checkRetry('retry', c.retry);
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
  validateChunk(chunk);
  if (chunk.id === undefined && defaultId !== undefined) checkId('id', defaultId);
  return encodeValidChunk(chunk, defaultId);
}

/** {@link encodeChunk} for a chunk already checked by {@link validateChunk} (or {@link validateEvent}). */
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

/** Checks the shape of an event (`id`, `topic`, `data`) and its chunk; throws {@link InvalidChunkError}. */
export function validateEvent(event: unknown): asserts event is SseEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidChunkError('SseEvent', event, 'must be an object { id, topic, data }');
  }
  const e = event as Record<string, unknown>;
  checkId('SseEvent.id', e.id);
  if (typeof e.topic !== 'string') throw new InvalidChunkError('SseEvent.topic', e.topic, 'must be a string');
  validateChunk(e.data);
}

/** The id that goes on the wire for an event: the chunk's own id, else the event's. */
export function wireId(event: SseEvent): string {
  return String(event.data.id ?? event.id);
}
