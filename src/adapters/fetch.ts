import type { Chunk } from '../protocol/chunk.ts';
import type { Sink, SinkListener } from '../runtime/sink.ts';
import type { SystemPort } from '../system/types.ts';
import type { Admission } from '../system/types.ts';
import { busyFrame } from '../protocol/control.ts';
import { attachOrCancel, queryLastEventId, type StreamOptions } from './node-http.ts';
import { acceptsEventStreamValue, busyOf } from './busy.ts';

/**
 * Options of `system.response`.
 * @example
 * ```ts
 * hono.get('/events', (c) => system.response(c.req.raw, 'news', undefined, { headers: { 'Access-Control-Allow-Origin': '*' } }));
 * ```
 */
export interface ResponseOptions extends StreamOptions {
  /** Extra response headers (CORS, …); the stream's own (`Content-Type`, `Cache-Control`, `X-Accel-Buffering`) win. */
  headers?: Record<string, string>;
  /**
   * Bytes the body may hold unread before the stream counts as pushed back (then the mailbox bound applies).
   * @default 65536
   */
  highWaterMark?: number;
}

/** The stream's headers on a Fetch `Response` (no `Connection`: the server decides that per protocol). */
const FETCH_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
});

/** The client's last id: the `Last-Event-ID` header, else the `lastEventId` query parameter. */
function lastEventIdOf(request: Request): string | undefined {
  const header = request.headers.get('last-event-id');
  return header !== null && header !== '' ? header : queryLastEventId(request.url);
}

/**
 * A {@link Sink} over a `ReadableStream` body. Backpressure is the stream's: a write returns false
 * once `highWaterMark` bytes wait unread, and `pull` (the reader wants more) is the drain. Ending
 * closes the body (what was written stays readable); the reader cancelling it is the client leaving.
 * @example
 * ```ts
 * const sink = new BodySink(65_536);
 * system.admit({ topics: 'news' }).attach(sink);
 * const response = new Response(sink.body, { headers: { 'Content-Type': 'text/event-stream; charset=utf-8' } });
 * ```
 */
export class BodySink implements Sink {
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private listener: SinkListener | undefined;
  private pushedBack = false;
  closed = false;
  ended = false;
  readonly body: ReadableStream<Uint8Array>;

  constructor(highWaterMark: number) {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => void (this.controller = controller),
        pull: () => this.pulled(),
        cancel: () => this.gone(),
      },
      new ByteLengthQueuingStrategy({ highWaterMark }),
    );
  }

  open(): void {
    // The head goes out with the Response the adapter returns.
  }

  write(bytes: Buffer, done: (error?: Error | null) => void): boolean {
    const controller = this.controller;
    if (this.closed || this.ended || !controller) {
      queueMicrotask(() => done(new Error('the response body is closed')));
      return false;
    }
    controller.enqueue(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    queueMicrotask(done); // handed to the body: the server reads it on its own
    const ok = (controller.desiredSize ?? 0) > 0;
    if (!ok) this.pushedBack = true;
    return ok;
  }

  end(): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    this.controller?.close();
    // A closed body keeps what it holds for the reader; nothing more will be written to it.
    queueMicrotask(() => this.gone());
  }

  destroy(): void {
    if (this.closed) return;
    if (!this.ended) this.controller?.error(new Error('stream destroyed'));
    this.ended = true;
    this.gone();
  }

  listen(listener: SinkListener): void {
    this.listener = listener;
    if (this.closed) queueMicrotask(() => listener.onSinkClose());
  }

  unlisten(): void {
    this.listener = undefined;
  }

  private pulled(): void {
    if (!this.pushedBack) return;
    this.pushedBack = false;
    this.listener?.onSinkDrain();
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener?.onSinkClose();
  }
}

/**
 * `system.response(request, topics, initial?, options?)`: admits the stream (every check first,
 * nothing made), then attaches it to a `ReadableStream` body and returns the `Response`. A `HEAD`
 * request gets the stream's headers, no body and no connection.
 */
export function fetchResponse(system: SystemPort<void | Promise<void>>, request: Request, topics: string | readonly string[], initial?: Chunk, options: ResponseOptions = {}): Response {
  // Everything that can throw on the caller's input runs before a place is taken.
  const headers = new Headers(options.headers);
  for (const [name, value] of Object.entries(FETCH_HEADERS)) headers.set(name, value);
  const highWaterMark = options.highWaterMark ?? 65_536;
  if (!(Number.isSafeInteger(highWaterMark) && highWaterMark > 0)) {
    throw new TypeError(`system.response highWaterMark must be a positive integer of bytes, got ${String(highWaterMark)}`);
  }
  const head = request.method === 'HEAD';
  let admission: Admission;
  try {
    admission = system.admit({ topics, initial, lastEventId: head ? undefined : lastEventIdOf(request), eventStream: !head && acceptsEventStreamValue(request.headers.get('accept')), user: options.user });
  } catch (error) {
    // An EventSource that cannot stream right now: 200, a jittered retry, sse-busy, the end.
    const busy = busyOf(error);
    if (busy === undefined) throw error;
    return new Response(busyFrame(busy.reason, busy.retryMs).bytes.toString('utf8'), { status: 200, headers });
  }
  if (head) {
    admission.cancel();
    return new Response(null, { status: 200, headers });
  }
  const sink = new BodySink(highWaterMark);
  attachOrCancel(admission, sink);
  return new Response(sink.body, { status: 200, headers });
}
