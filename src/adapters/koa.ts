import type { Middleware, ParameterizedContext } from 'koa';
import { validateChunk, type Chunk } from '../protocol/chunk.ts';
import { ForbiddenError, SystemStoppedError } from '../errors.ts';
import type { SseSystem } from '../system.ts';

/**
 * `ctx.sse`: what {@link sse} adds to every Koa context. Bad input throws synchronously (so Koa
 * answers it); the returned promise resolves to the connection id (`null` when the request was
 * refused or was a HEAD) and never rejects, so not awaiting it is safe.
 * @example
 * ```ts
 * router.get('/news', async (ctx) => {
 *   const id = await ctx.sse('news', { data: 'welcome' }); // the connection id, or null (HEAD, refused)
 *   if (id) console.log('streaming', id);
 * });
 * ```
 */
export type CtxSse = (topics: string | readonly string[], initial?: Chunk) => Promise<string | null>;

/**
 * Decides whether this request may stream these (already expanded) topics. Only `true` (returned or
 * resolved) allows; any other value denies (403). A throw or rejection answers 500.
 * @example
 * ```ts
 * const ownTopicsOnly: Authorize = (ctx, topics) => topics.every((topic) => topic === `user.${ctx.state.userId}`);
 * app.use(sse(system, { authorize: ownTopicsOnly }));
 * ```
 */
export type Authorize = (ctx: ParameterizedContext, topics: readonly string[]) => boolean | Promise<boolean>;

/**
 * Options of {@link sse}.
 * @example
 * ```ts
 * const options: SseMiddlewareOptions = { authorize: async (ctx) => (await sessions.get(ctx.cookies.get('sid'))) !== undefined };
 * app.use(sse(system, options));
 * ```
 */
export interface SseMiddlewareOptions {
  /**
   * Called before a stream opens, with the registered topics the request asked for (patterns
   * expanded). Only `true` (or a promise of `true`) opens the stream; anything else answers 403.
   * A throw or rejection answers 500 `Internal Server Error`, unless it is an `Error` with an
   * integer `status` in 400..599 and `expose: true` (then that status and its message, and its
   * `headers` when all are valid). The error goes to Koa's `app.on('error')`; nothing is left behind.
   * @default undefined (every request may stream)
   */
  authorize?: Authorize;
}

declare module 'koa' {
  interface DefaultContext {
    /**
     * Turns this request into an event stream subscribed to `topics` (registered names, or patterns:
     * `*` one segment, `**` the rest), writes `initial` first, then every notified event.
     * Throws before writing anything: `UnknownTopicError` / `TopicLimitError` (Koa answers 400 with
     * the message), `InvalidChunkError`, `SystemStoppedError` / `TooManyConnectionsError` (503),
     * `ForbiddenError` (403) when a synchronous `authorize` does not return `true`.
     * Resolves to the connection id; never rejects.
     */
    sse: CtxSse;
  }
}

/** Answers a request whose response Koa no longer handles (`ctx.respond = false`). Never throws. */
function answer(ctx: ParameterizedContext, status: number, body: string, headers: Record<string, string>): void {
  const { res } = ctx;
  try {
    if (res.headersSent) return void res.end();
    res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  } catch {
    res.destroy(); // nothing sensible left to say on this socket
  }
}

/**
 * Answers an error raised while authorizing or opening a stream as Koa's own error handling would,
 * but without trusting the error: reported on `app.on('error')` (a non-Error wrapped in one first,
 * as Koa's default listener throws on anything else), its status and message sent only for an
 * exposed HTTP error, a bare 500 otherwise. Never throws.
 */
export function answerError(ctx: ParameterizedContext, error: unknown): void {
  report(ctx, error);
  const { status, message, headers } = httpAnswer(error);
  answer(ctx, status, message, headers);
}

/** What the client is told about `error`: only an exposed HTTP error says more than 500. */
export function httpAnswer(error: unknown): { status: number; message: string; headers: Record<string, string> } {
  const internal = { status: 500, message: 'Internal Server Error', headers: {} };
  if (!(error instanceof Error)) return internal;
  const { status, expose, headers } = error as { status?: unknown; expose?: unknown; headers?: unknown };
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599 || expose !== true) return internal;
  return { status, message: String(error.message), headers: safeHeaders(headers) };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Node refuses anything else in a header value; CR, LF and NUL would split the response.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Set by `answer` itself; an error's own would make the response ambiguous. */
const RESERVED = new Set(['content-type', 'content-length', 'transfer-encoding', 'connection']);

/** An error's `headers` when every name is a token and every value safe; otherwise none of them. */
function safeHeaders(headers: unknown): Record<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return {};
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    const value = typeof raw === 'number' ? String(raw) : raw;
    if (!TOKEN.test(name) || typeof value !== 'string' || !FIELD_VALUE.test(value)) return {};
    if (!RESERVED.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/** True for a value `Promise.resolve` would follow (reading `then` may itself throw). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Opens the stream on the raw response and tells Koa to keep out of it (no body, no compression). */
function open(system: SseSystem<void | Promise<void>>, ctx: ParameterizedContext, topics: string | readonly string[], initial: Chunk | undefined): string | null {
  const id = system.stream(ctx.req, ctx.res, topics, initial);
  ctx.compress = false;
  ctx.respond = false;
  return id;
}

/**
 * Koa middleware: adds `ctx.sse(topics, initial?)`. The stream bypasses Koa's response handling
 * (`ctx.respond = false`, no compression) and writes to the raw response; headers the route set
 * before (e.g. CORS) are kept. Nothing holds on to `ctx` once the stream is set up.
 * @example
 * ```ts
 * const app = new Koa();
 * app.use(sse(system));
 * app.use((ctx) => {
 *   ctx.set('Access-Control-Allow-Origin', '*'); // kept: headers set before ctx.sse go out with the stream
 *   return ctx.sse(['usd_eur_pair_updated'], { data: JSON.stringify({ rates }) });
 * });
 * ```
 */
export function sse(system: SseSystem<void | Promise<void>>, options: SseMiddlewareOptions = {}): Middleware {
  const { authorize } = options;
  // Not async: it only hands on to the next middleware, so it returns that promise (one promise and
  // one await fewer per request).
  return function sseMiddleware(ctx: ParameterizedContext, next) {
    ctx.sse = (topics, initial) => {
      if (!authorize) return Promise.resolve(open(system, ctx, topics, initial));
      // Everything that can be checked now is, so bad input still throws for Koa to answer.
      if (system.stopped) throw new SystemStoppedError('open a stream');
      const resolved = system.resolveTopics(topics);
      const valid = initial === undefined ? undefined : validateChunk(initial);
      // A copy: what authorize decided on is what opens, even if the caller's array changes meanwhile.
      const asked: readonly string[] = typeof topics === 'string' ? [topics] : [...topics];
      let verdict: unknown;
      let thenable = false;
      try {
        verdict = authorize(ctx, resolved);
        thenable = isThenable(verdict);
      } catch (error) {
        return refuse(ctx, error);
      }
      // The stream is opened with what was asked (resolved again from the cache): the expansion
      // may be longer than maxTopicsPerStream allows a request.
      if (verdict === true) return Promise.resolve(open(system, ctx, asked, valid));
      if (!thenable) throw new ForbiddenError(asked, resolved);
      // Asynchronous: take the response over now so Koa does not answer while we wait.
      ctx.compress = false;
      ctx.respond = false;
      return Promise.resolve(verdict).then(
        (allowed) => {
          if (ctx.res.destroyed) return null;
          try {
            if (allowed !== true) throw new ForbiddenError(asked, resolved);
            return system.stream(ctx.req, ctx.res, asked, valid);
          } catch (error) {
            answerError(ctx, error);
            return null;
          }
        },
        (error: unknown) => {
          if (!ctx.res.destroyed) answerError(ctx, error);
          else report(ctx, error); // the client left; the failure is still reported
          return null;
        },
      );
    };
    return next();
  };
}

/** A synchronous throw from `authorize`: answered here (never trusted to Koa's handler), resolving to null. */
function refuse(ctx: ParameterizedContext, error: unknown): Promise<null> {
  ctx.compress = false;
  ctx.respond = false;
  answerError(ctx, error);
  return Promise.resolve(null);
}

/** Reports on `app.on('error')`; never throws. */
function report(ctx: ParameterizedContext, error: unknown): void {
  const reported = error instanceof Error ? error : new Error(`authorize failed with a non-Error value (${typeof error})`, { cause: error });
  try {
    ctx.app.emit('error', reported, ctx);
  } catch {
    // a listener that throws must not take the request (or the process) down with it
  }
}
