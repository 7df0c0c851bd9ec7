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
 * Decides whether this request may stream these (already expanded) topics.
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
   * expanded). `false` answers 403; a thrown error or rejection answers 500 (the error goes to
   * Koa's `app.on('error')`, not to the client) and nothing is left behind.
   * @default undefined (every request may stream)
   */
  authorize?: Authorize;
}

declare module 'koa' {
  interface DefaultContext {
    /**
     * Turns this request into an event stream subscribed to `topics` (registered names, or patterns:
     * `*` one segment, `**` the rest), writes `initial` first, then every notified event.
     * Throws before writing anything: `UnknownTopicError` (Koa answers 400 with its message),
     * `InvalidChunkError`, `SystemStoppedError` / `TooManyConnectionsError` (503).
     * Resolves to the connection id; never rejects.
     */
    sse: CtxSse;
  }
}

/** Answers a request whose response Koa no longer handles (`ctx.respond = false`). */
function answer(ctx: ParameterizedContext, status: number, body: string, headers: Record<string, string> = {}): void {
  const { res } = ctx;
  if (res.headersSent) return void res.end();
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/**
 * Answers an error raised while opening a stream as Koa's own error handling would: reported on
 * `app.on('error')`, the message sent only when the error is exposed (4xx, 503), a bare 500 otherwise.
 */
function answerError(ctx: ParameterizedContext, error: unknown): void {
  const { status = 500, expose = false, headers } = error as { status?: number; expose?: boolean; headers?: Record<string, string> };
  ctx.app.emit('error', error, ctx);
  answer(ctx, status, expose ? (error as Error).message : 'Internal Server Error', headers);
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
      if (initial !== undefined) validateChunk(initial);
      const verdict = authorize(ctx, resolved); // a synchronous throw goes to Koa: 500
      if (verdict === true) return Promise.resolve(open(system, ctx, resolved, initial));
      if (verdict === false) throw new ForbiddenError(resolved);
      // Asynchronous: take the response over now so Koa does not answer while we wait.
      ctx.compress = false;
      ctx.respond = false;
      return Promise.resolve(verdict).then(
        (allowed) => {
          if (ctx.res.destroyed) return null;
          if (!allowed) {
            answerError(ctx, new ForbiddenError(resolved));
            return null;
          }
          try {
            return system.stream(ctx.req, ctx.res, resolved, initial);
          } catch (error) {
            answerError(ctx, error);
            return null;
          }
        },
        (error: unknown) => {
          answerError(ctx, error);
          return null;
        },
      );
    };
    return next();
  };
}
