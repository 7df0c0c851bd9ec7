import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Sink } from '../runtime/sink.ts';
import type { SseUser } from '../protocol/user.ts';
import type { Chunk } from '../protocol/chunk.ts';
import type { Admission, SystemPort } from '../system/types.ts';
import { acceptsEventStream, answeredBusy } from './busy.ts';
import { ResponseSink } from './response-sink.ts';
import { lastEventIdOf } from './last-event-id.ts';

export { lastEventIdOf, queryLastEventId } from './last-event-id.ts';
export { ResponseSink } from './response-sink.ts';

/**
 * A request as `node:http` or `node:http2`'s compatibility API gives it.
 * @example
 * ```ts
 * const handler = (req: SseRequest, res: SseResponse) => void system.stream(req, res, 'news');
 * http.createServer(handler);
 * http2.createSecureServer({ key, cert, allowHTTP1: true }, handler);
 * ```
 */
export type SseRequest = IncomingMessage | Http2ServerRequest;
/**
 * A response as `node:http` or `node:http2`'s compatibility API gives it.
 * @example
 * ```ts
 * function streamNews(req: SseRequest, res: SseResponse): string | null {
 *   return system.stream(req, res, 'news', { data: 'welcome' });
 * }
 * ```
 */
export type SseResponse = ServerResponse | Http2ServerResponse;

/**
 * The response headers of an event stream. `Connection` is a hop-by-hop header that HTTP/2
 * forbids, so it is only sent on HTTP/1.x.
 * @example
 * ```ts
 * res.writeHead(200, sseHeaders(req.httpVersionMajor)); // a stream written by hand, with the same headers
 * ```
 */
export function sseHeaders(httpVersionMajor: number): Readonly<Record<string, string>> {
  return httpVersionMajor < 2 ? HTTP1_HEADERS : HTTP2_HEADERS;
}

const HTTP2_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
});
const HTTP1_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...HTTP2_HEADERS, Connection: 'keep-alive' });

/**
 * The response headers of an event stream for this request. `Connection: keep-alive` only on
 * HTTP/1.1 when the client did not send `Connection: close`; otherwise node writes its own
 * `Connection: close`. Never on HTTP/1.0: a stream there cannot be chunked, so it ends with the
 * connection whatever the client asked for. Never on HTTP/2 (hop-by-hop headers are forbidden).
 * @example
 * ```ts
 * res.writeHead(200, sseResponseHeaders(req)); // a stream written by hand, headers as system.stream sends them
 * res.write(encodeChunk({ event: 'hello', data: 'hi' }));
 * ```
 */
export function sseResponseHeaders(req: SseRequest): Readonly<Record<string, string>> {
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) return HTTP2_HEADERS;
  return asksToClose(req) ? HTTP2_HEADERS : HTTP1_HEADERS;
}

const CLOSE_TOKEN = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i;

/** True when a `Connection` header of the request lists `close` (read from the raw list: no allocation). */
function asksToClose(req: SseRequest): boolean {
  const raw = req.rawHeaders as string[] | undefined;
  if (raw === undefined) {
    const header: unknown = req.headers.connection;
    return typeof header === 'string' && CLOSE_TOKEN.test(header);
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 10 && name.toLowerCase() === 'connection' && CLOSE_TOKEN.test(raw[i + 1] as string)) return true;
  }
  return false;
}

/**
 * Throws before anything is written when `res` cannot become an event stream: it has sent its
 * headers already (a second `ctx.sse` / `system.stream` on one request, or a route that wrote first).
 */
export function assertFresh(res: SseResponse): void {
  if (res.headersSent) {
    throw new TypeError('Cannot open an SSE stream: the response has sent its headers already (a second ctx.sse / system.stream on one request, or a route that wrote first)');
  }
}

/**
 * `system.stream(req, res, topics, initial?)`: admits the stream (every check, nothing written),
 * then attaches it to the response. An EventSource that cannot stream right now (full, stopping)
 * is answered busy here (`null`); every other refusal is thrown, for the caller to answer.
 */
/**
 * Per-stream options of `ctx.sse`, `system.stream` and `system.response`.
 * @example
 * ```ts
 * system.stream(req, res, 'room.a', undefined, { user: { id: session.userId, info: { name: session.name } } });
 * ```
 */
export interface StreamOptions {
  /** Who the stream belongs to: validated (`InvalidUserError`, 400), shown in `snapshot()`, counted by presence. */
  user?: SseUser;
}

export function streamResponse(system: SystemPort<void | Promise<void>>, req: SseRequest, res: SseResponse, topics: string | readonly string[], initial?: Chunk, options?: StreamOptions): string | null {
  let admission: Admission;
  try {
    admission = admitRequest(system, req, res, topics, initial, options);
  } catch (error) {
    if (answeredBusy(req, res, error)) return null;
    throw error;
  }
  return attachResponse(admission, req, res);
}

/** Admits a stream for this request: throws (the typed errors of `admit`, or a response already written) before anything is written. */
export function admitRequest(system: SystemPort<void | Promise<void>>, req: SseRequest, res: SseResponse, topics: string | readonly string[], initial?: Chunk, options?: StreamOptions): Admission {
  assertFresh(res);
  return system.admit({ topics, initial, lastEventId: req.method === 'HEAD' ? undefined : lastEventIdOf(req), eventStream: acceptsEventStream(req), user: options?.user });
}

/**
 * Attaches an admitted stream to the response. A `HEAD` request gets the stream's headers and an
 * end, and no connection (`null`). Everything is read from the request before the head is written:
 * nothing after `writeHead` may throw, or a socket would be left with a 200 and no stream to end it.
 */
export function attachResponse(admission: Admission, req: SseRequest, res: SseResponse): string | null {
  const headers = sseResponseHeaders(req);
  if (req.method === 'HEAD') {
    admission.cancel();
    (res as { writeHead(status: number, headers: Readonly<Record<string, string>>): unknown }).writeHead(200, headers);
    res.end();
    return null;
  }
  return attachOrCancel(admission, new ResponseSink(res, headers));
}

/** Attaches `admission` to `sink`; if that throws (the system stopped meanwhile), the place is given back and the error rethrown. */
export function attachOrCancel(admission: Admission, sink: Sink): string {
  try {
    return admission.attach(sink);
  } catch (error) {
    admission.cancel();
    throw error;
  }
}
