import type { Middleware, ParameterizedContext } from 'koa';
import type { Chunk } from './protocol/chunk.ts';
import type { SseSystem } from './system.ts';

/** `ctx.sse`: what {@link sse} adds to every Koa context. */
export type CtxSse = (topics: string | readonly string[], initial?: Chunk) => string | null;

declare module 'koa' {
  interface DefaultContext {
    /**
     * Turns this request into an event stream subscribed to `topics` (registered names, or patterns:
     * `*` one segment, `**` the rest), writes `initial` first, then every notified event.
     * Returns the connection id (`null` for a HEAD request, answered with the headers only). Throws before writing anything: `UnknownTopicError` (Koa answers 400
     * with its message), `InvalidChunkError`, `SystemStoppedError` (503).
     */
    sse: CtxSse;
  }
}

/**
 * Koa middleware: adds `ctx.sse(topics, initial?)`. The stream bypasses Koa's response handling
 * (`ctx.respond = false`, no compression) and writes to the raw response; headers the route set
 * before (e.g. CORS) are kept. Nothing holds on to `ctx` once the stream is set up.
 */
export function sse(system: SseSystem): Middleware {
  return async function sseMiddleware(ctx: ParameterizedContext, next) {
    ctx.sse = (topics, initial) => {
      const id = system.stream(ctx.req, ctx.res, topics, initial);
      ctx.compress = false;
      ctx.respond = false;
      return id;
    };
    await next();
  };
}
