import type { Chunk } from '../protocol/chunk.ts';
import { System } from '../system/system.ts';
import type { SystemOptions } from '../system/options.ts';
import type { SystemPort } from '../system/types.ts';
import type { PresencePort } from '../system/presence-port.ts';
import type { MemoryTransport } from '../transport/memory.ts';
import type { NotifyResult, Transport } from '../transport/types.ts';
import { streamResponse, type SseRequest, type SseResponse, type StreamOptions } from './node-http.ts';
import { fetchResponse, type ResponseOptions } from './fetch.ts';

/**
 * A running sse-actors system: the stack-free {@link SystemPort} with the `node:http` and Fetch
 * adapters mounted as `stream` and `response`. Create it with {@link createSystem}. `N` is what
 * `notify` returns: `void` with the memory transport (the default), `Promise<void>` with a remote one.
 * @example
 * ```ts
 * import http from 'node:http';
 * import { createSystem, type SseSystem } from 'sse-actors';
 *
 * const system: SseSystem = createSystem({ topics: ['news'] });
 * http.createServer((req, res) => system.stream(req, res, 'news', { data: 'welcome' })).listen(3000);
 * system.notify({ id: 1, topic: 'news', data: { data: 'hello' } });
 * system.snapshot().connections; // one entry per open stream
 * ```
 */
export interface SseSystem<N extends void | Promise<void> = void> extends SystemPort<N>, PresencePort {
  /**
   * Turns a plain `node:http` (or http2) response into an event stream subscribed to `topics`
   * (names or patterns), writing `initial` first. Returns the connection id; a `HEAD` request gets
   * the stream's headers and `null`, and no connection. Throws before writing anything (nothing
   * the request holds can make it throw after): `UnknownTopicError`, `TopicLimitError`,
   * `InvalidChunkError`, `InvalidUserError`, `SystemStoppedError`, `TooManyConnectionsError`.
   * `options.user` says who the stream belongs to.
   */
  stream(req: SseRequest, res: SseResponse, topics: string | readonly string[], initial?: Chunk, options?: StreamOptions): string | null;
  /**
   * For Fetch-style stacks (Hono, Bun, Deno, a service worker): a `Response` whose body is the event
   * stream. Backpressure is the body's: while the reader does not pull, frames wait in the mailbox
   * and its policy applies. Cancelling the body (the client left) releases the stream. Throws the
   * same typed errors as {@link SseSystem.stream}, before anything is made.
   */
  response(request: Request, topics: string | readonly string[], initial?: Chunk, options?: ResponseOptions): Response;
}

/** The system with its HTTP adapters: `stream` (node:http) and `response` (Fetch). */
class HttpSystem extends System implements SseSystem<void | Promise<void>> {
  stream(req: SseRequest, res: SseResponse, topics: string | readonly string[], initial?: Chunk, options?: StreamOptions): string | null {
    return streamResponse(this, req, res, topics, initial, options);
  }

  response(request: Request, topics: string | readonly string[], initial?: Chunk, options?: ResponseOptions): Response {
    return fetchResponse(this, request, topics, initial, options);
  }
}

/**
 * Creates a system: the root supervisor with its registry, history and connection partitions, the
 * shared keep-alive scheduler, the write coalescer and the transport (memory by default). Two
 * systems in one process share nothing.
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { createSystem, sse } from 'sse-actors';
 *
 * const system = createSystem({ topics: ['usd_eur_pair_updated'], keepAlive: 15_000 });
 * const app = new Koa().use(sse(system)).use((ctx) => ctx.sse('usd_eur_pair_updated'));
 * app.listen(3000);
 * system.notify({ id: 1, topic: 'usd_eur_pair_updated', data: { data: '{"EUR":0.92}' } });
 * ```
 */
export function createSystem<T extends Transport = MemoryTransport>(options: SystemOptions & { transport?: T }): SseSystem<NotifyResult<T>> {
  return new HttpSystem(options) as unknown as SseSystem<NotifyResult<T>>;
}
