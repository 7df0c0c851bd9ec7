export { InvalidChunkError, UnknownTopicError, TopicLimitError } from '../protocol/errors.ts';
import { HttpFacingError } from '../protocol/errors.ts';
import { describeValue } from '../protocol/describe.ts';
import type { BusyAnswer } from './types.ts';

/**
 * A second event with the same wire id on one topic while the first is still in the replay
 * history: `Last-Event-ID` could not tell them apart. Use unique ids (a counter, a UUID).
 * @example
 * ```ts
 * system.notify({ id: 7, topic: 'news', data: { data: 'a' } });
 * system.notify({ id: 7, topic: 'news', data: { data: 'b' } }); // throws DuplicateEventIdError: use unique ids
 * ```
 */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly topic: string,
    readonly id: string,
  ) {
    super(
      `Event id ${JSON.stringify(id)} was already notified on topic ${JSON.stringify(topic)} and is still in the replay history: ` +
        'ids must be unique per topic so that Last-Event-ID replay knows where a client stopped (use a counter or a UUID)',
    );
  }
}

/**
 * The system was stopped, is stopping, or failed: no new connection or notify is accepted. Answered
 * as 503, or, to an EventSource, `200` + `sse-busy` (so the browser comes back, on another process).
 * @example
 * ```ts
 * await system.stop();
 * try {
 *   system.notify({ id: 1, topic: 'news', data: { data: 'late' } });
 * } catch (error) {
 *   console.log(error instanceof SystemStoppedError); // true (status 503)
 * }
 * ```
 */
export class SystemStoppedError extends HttpFacingError {
  override readonly name = 'SystemStoppedError';
  readonly status = 503;

  /**
   * `failure` is the escalation that failed the system, when it failed rather than being stopped.
   * `busy` is set when the request came from an EventSource: adapters answer it `200` + `sse-busy`.
   */
  constructor(action: string, failure?: unknown, readonly busy?: BusyAnswer) {
    super(
      failure === undefined
        ? `Cannot ${action}: the SSE system is stopped or stopping (system.stop() was called)`
        : `Cannot ${action}: the SSE system failed (${failure instanceof Error ? failure.message : String(failure)})`,
      failure === undefined ? undefined : { cause: failure },
    );
  }
}

/**
 * The `authorize` hook of `sse(system, { authorize })` refused the request. Answered as 403. The
 * message names the topics as the client asked for them; what its patterns expanded to is in
 * `resolved`, for logs.
 * @example
 * ```ts
 * app.use(sse(system, { authorize: () => false }));
 * app.on('error', (error) => {
 *   if (error instanceof ForbiddenError) console.warn('refused', error.topics); // the client got 403
 * });
 * ```
 */
export class ForbiddenError extends HttpFacingError {
  override readonly name = 'ForbiddenError';
  readonly status = 403;
  constructor(
    /** The names and patterns the client asked for. */
    readonly topics: readonly string[],
    /** The registered topics they stand for (what `authorize` was asked about). */
    readonly resolved: readonly string[] = topics,
  ) {
    super(`Not allowed to stream ${topics.map((t) => JSON.stringify(t)).join(', ')}`);
  }
}

/**
 * `maxConnections` streams are open already. Answered as 503 with `Retry-After`, or, to an
 * EventSource, `200` + `sse-busy` (so the browser comes back by itself).
 * @example
 * ```ts
 * try {
 *   system.stream(req, res, 'news');
 * } catch (error) {
 *   if (error instanceof TooManyConnectionsError) res.writeHead(error.status, error.headers).end(); // 503, Retry-After
 * }
 * ```
 */
export class TooManyConnectionsError extends HttpFacingError {
  override readonly name = 'TooManyConnectionsError';
  readonly status = 503;
  /** Koa sets these on the error response. */
  readonly headers: Record<string, string>;

  constructor(
    readonly limit: number,
    retryAfterSeconds: number,
    /** Set when the request came from an EventSource: adapters answer it `200` + `sse-busy` instead of 503. */
    readonly busy?: BusyAnswer,
  ) {
    super(`Too many SSE connections: the limit is ${limit} (maxConnections); retry later`);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

/**
 * `system.exit` was given an id that is not an exitable actor of this system.
 * @example
 * ```ts
 * try {
 *   system.exit('c-that-closed', 'kill');
 * } catch (error) {
 *   if (error instanceof UnknownActorError) console.log(error.actorId); // 'c-that-closed'
 * }
 * ```
 */
export class UnknownActorError extends Error {
  override readonly name = 'UnknownActorError';
  constructor(readonly actorId: string) {
    super(
      `No actor "${actorId}" to exit: use 'registry', 'history', or a connection id listed by system.snapshot() (a connection that already closed is gone)`,
    );
  }
}

/**
 * An option given to `createSystem` (or read from the environment) is not valid. Thrown at startup.
 * @example
 * ```ts
 * try {
 *   createSystem({ topics: ['news'], keepAlive: -1 });
 * } catch (error) {
 *   if (error instanceof InvalidOptionError) console.log(error.option); // 'keepAlive'
 * }
 * ```
 */
export class InvalidOptionError extends TypeError {
  override readonly name = 'InvalidOptionError';
  /** The option, e.g. `keepAlive` or `SSE_KEEP_ALIVE_IN_MS`. */
  readonly option: string;

  constructor(option: string, value: unknown, expected: string) {
    super(`Invalid option ${option}=${describeValue(value, 'json')}: expected ${expected}`);
    this.option = option;
  }
}

/**
 * A new topic (created from a family on first use, or `registerTopic`) would exceed `maxTopics`
 * live topics. Nothing of it was created. Answered as 503 with `Retry-After`: idle topics are
 * reclaimed, so room comes back.
 * @example
 * ```ts
 * try {
 *   system.notify({ id: 1, topic: 'user.42', data: { data: 'hi' } });
 * } catch (error) {
 *   if (error instanceof TooManyTopicsError) console.warn(`${error.limit} topics live; raise maxTopics or wait for reclaim`);
 * }
 * ```
 */
export class TooManyTopicsError extends HttpFacingError {
  override readonly name = 'TooManyTopicsError';
  readonly status = 503;
  /** Koa sets these on the error response. */
  readonly headers: Record<string, string> = { 'Retry-After': '1' };

  constructor(
    readonly limit: number,
    /** The topics that would have been created. */
    readonly topics: readonly string[],
  ) {
    super(`Too many SSE topics: ${limit} are live (maxTopics), so ${topics.map((t) => JSON.stringify(t)).join(', ')} cannot be created; retry later`);
  }
}

/**
 * `system.presence(topic)` / `system.occupancy(topic)` asked about a topic that is not under
 * presence (no pattern of `presence.topics` matches it, it is a pattern itself, or presence is off).
 * @example
 * ```ts
 * try {
 *   await system.presence('news');
 * } catch (error) {
 *   if (error instanceof NotUnderPresenceError) console.log(error.topic); // 'news': add it to presence.topics
 * }
 * ```
 */
export class NotUnderPresenceError extends TypeError {
  override readonly name = 'NotUnderPresenceError';
  constructor(readonly topic: unknown) {
    super(`Topic ${describeValue(topic, 'json')} is not under presence: list it (or a pattern matching it) in createSystem({ presence: { topics } })`);
  }
}

/**
 * `system.disconnect(selector)` got no `user` and no `topic` (that would end every stream: use
 * `system.stop()` for that), or a field of the wrong type.
 * @example
 * ```ts
 * try {
 *   await system.disconnect({});
 * } catch (error) {
 *   if (error instanceof InvalidSelectorError) console.log(error.message);
 * }
 * ```
 */
export class InvalidSelectorError extends TypeError {
  override readonly name = 'InvalidSelectorError';
  constructor(selector: unknown) {
    super(`Invalid disconnect selector ${describeValue(selector, 'json')}: expected { user?: string, topic?: string, reconnect?: boolean } with a user or a topic`);
  }
}
