/**
 * A chunk or event that cannot be written as a valid `text/event-stream` frame.
 * Thrown before any byte is written, so a stream is never left half-written.
 * @example
 * ```ts
 * try {
 *   encodeChunk({ data: 'x', event: 'two\nlines' });
 * } catch (error) {
 *   if (error instanceof InvalidChunkError) console.log(error.field); // 'event'
 * }
 * ```
 */
export class InvalidChunkError extends TypeError {
  override readonly name = 'InvalidChunkError';
  /** The offending field: `data`, `comment`, `event`, `id` or `retry` (or `chunk` for the whole value). */
  readonly field: string;
  /** The value that was rejected. */
  readonly value: unknown;

  constructor(field: string, value: unknown, reason: string) {
    super(`Invalid SSE chunk field "${field}" (${describe(value)}): ${reason}`);
    this.field = field;
    this.value = value;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
