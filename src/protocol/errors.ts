import { describeValue } from './describe.ts';
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
    super(`Invalid SSE chunk field "${field}" (${describeValue(value, 'brief')}): ${reason}`);
    this.field = field;
    this.value = value;
  }
}

/**
 * HTTP-aware errors carry `status` and `expose` (the http-errors convention), so Koa's default
 * error handler answers with that status and the message instead of a generic 500.
 */
export abstract class HttpFacingError extends Error {
  abstract readonly status: number;
  readonly expose = true;
}

/**
 * A topic (or a pattern) that is not registered in `createSystem({ topics })`, or a topic that is
 * not a string. Answered as 400. The message names only what was asked for: the registered topics
 * are in `registered`, for logs, never in the HTTP answer.
 * @example
 * ```ts
 * try {
 *   system.stream(req, res, 'nwes');
 * } catch (error) {
 *   if (error instanceof UnknownTopicError) logger.error({ asked: error.topics, registered: error.registered }, 'unknown SSE topic'); // 400
 * }
 * ```
 */
export class UnknownTopicError extends HttpFacingError {
  override readonly name = 'UnknownTopicError';
  readonly status = 400;
  /** The topics or patterns that matched no registered topic. */
  readonly topics: readonly string[];
  /** The registered topics (for logs; not in the message, which a client reads). */
  readonly registered: readonly string[];

  constructor(topics: readonly string[], registered: readonly string[], message?: string) {
    super(
      message ??
        `Unknown SSE topic${topics.length > 1 ? 's' : ''} ${topics.map((t) => JSON.stringify(t)).join(', ')}: ` +
          `register ${topics.length > 1 ? 'them' : 'it'} in createSystem({ topics })`,
    );
    this.topics = topics;
    this.registered = registered;
  }
}

/**
 * A stream asked for more topics than `maxTopicsPerStream`, or for a name or pattern longer than
 * `maxTopicLength`. Answered as 400, before any resolution work.
 * @example
 * ```ts
 * try {
 *   system.stream(req, res, Array.from({ length: 100 }, (_, i) => `news.${i}`));
 * } catch (error) {
 *   if (error instanceof TopicLimitError) res.writeHead(error.status).end(error.message); // names error.option
 * }
 * ```
 */
export class TopicLimitError extends HttpFacingError {
  override readonly name = 'TopicLimitError';
  readonly status = 400;

  constructor(
    what: string,
    /** The option that sets the exceeded limit. */
    readonly option: 'maxTopicsPerStream' | 'maxTopicLength',
  ) {
    super(`Too many or too long SSE topics: ${what} (raise it with createSystem({ ${option} }))`);
  }
}
