import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Sink, SinkListener } from '../runtime/sink.ts';
import type { SseUser } from '../protocol/user.ts';
import type { Chunk } from '../protocol/chunk.ts';
import type { Admission, SystemPort } from '../system/types.ts';
import { acceptsEventStream, answeredBusy } from './busy.ts';
import { http2Slack } from './http2-window.ts';
import { lastEventIdOf } from './last-event-id.ts';

export { lastEventIdOf, queryLastEventId } from './last-event-id.ts';

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

type Writable = {
  write(chunk: Buffer | string, cb: (error?: Error | null) => void): boolean;
  end(): unknown;
  destroy(): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  readonly writableEnded: boolean;
  readonly writableLength: number;
  readonly closed?: boolean;
};

/** What a sink holds instead of a response that closed. */
const GONE_RESPONSE: Writable = Object.freeze({
  write: () => false,
  end() {},
  destroy() {},
  on() {},
  off() {},
  destroyed: true,
  writableFinished: false,
  writableEnded: true,
  writableLength: 0,
  closed: true,
});

/**
 * A {@link Sink} over a `node:http` (or http2 compatibility) response: what `system.stream` attaches.
 * @example
 * ```ts
 * const admission = system.admit({ topics: 'news', lastEventId: req.headers['last-event-id'] as string | undefined });
 * admission.attach(new ResponseSink(res, sseResponseHeaders(req)));
 * ```
 */
export class ResponseSink implements Sink {
  private res: Writable;
  private listener: SinkListener | undefined;
  private onDrain: (() => void) | undefined;
  private onClose: (() => void) | undefined;
  private first = true;

  constructor(
    res: SseResponse,
    /** The head's headers (HTTP version and `Connection` aware: {@link sseResponseHeaders}). */
    private readonly headers: Readonly<Record<string, string>>,
  ) {
    this.res = res as unknown as Writable;
  }

  open(firstWrite: boolean): void {
    const res = this.res as unknown as SseResponse;
    (res as { writeHead(status: number, headers: Readonly<Record<string, string>>): unknown }).writeHead(200, this.headers);
    if (!firstWrite && 'flushHeaders' in res) res.flushHeaders();
  }

  write(bytes: Buffer, done: (error?: Error | null) => void): boolean {
    // The first write goes out as text: node joins the pending headers and a string body into one
    // socket write, but writes a Buffer body after the headers separately (measured under churn:
    // about 8 µs more per connection). Frames are UTF-8 of JS strings, so the bytes are the same.
    const chunk = this.first ? bytes.toString('utf8') : bytes;
    this.first = false;
    let ok = this.res.write(chunk, done);
    // HTTP/2: false as soon as a burst is queued for nghttp2's next tick; behind only beyond the window.
    if (!ok) ok = this.res.writableLength <= (http2Slack(this.res) ?? -1);
    // `drain` is only listened to once the stream has pushed back: most streams never do, and an
    // idle stream then carries one listener closure instead of two.
    if (!ok && !this.onDrain && this.listener) {
      const listener = this.listener;
      this.onDrain = () => listener.onSinkDrain();
      this.res.on('drain', this.onDrain);
    }
    return ok;
  }

  end(): void {
    this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }

  get ended(): boolean {
    return this.res.writableEnded;
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.closed === true;
  }

  listen(listener: SinkListener): void {
    if (this.onClose) return;
    this.listener = listener;
    // `error` and `close` both mean the stream is gone: one closure serves both.
    this.onClose = () => listener.onSinkClose();
    this.res.on('close', this.onClose);
    this.res.on('error', this.onClose);
    if (this.closed) queueMicrotask(this.onClose);
  }

  unlisten(): void {
    const { res, onDrain, onClose } = this;
    if (onDrain) res.off('drain', onDrain);
    if (onClose) {
      res.off('close', onClose);
      res.off('error', onClose);
    }
    this.onDrain = this.onClose = this.listener = undefined;
    // A closed response is never written again: let go of it. V8 may already have promoted this
    // sink (or its handle) to the old generation; a dead old object that still points at the young
    // response, request and socket keeps them alive through every young-generation GC until the
    // next full one, and they get promoted in turn. Measured under churn: twice the promoted bytes
    // and GC time of raw node:http with the link, on par without it.
    if (this.closed) this.res = GONE_RESPONSE;
  }
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
