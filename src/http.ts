import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Sink, SinkListener } from './actors/sink.ts';

/** A request as `node:http` or `node:http2`'s compatibility API gives it. */
export type SseRequest = IncomingMessage | Http2ServerRequest;
/** A response as `node:http` or `node:http2`'s compatibility API gives it. */
export type SseResponse = ServerResponse | Http2ServerResponse;

/**
 * The response headers of an event stream. `Connection` is a hop-by-hop header that HTTP/2
 * forbids, so it is only sent on HTTP/1.x.
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

type Writable = {
  write(chunk: Buffer, cb: (error?: Error | null) => void): boolean;
  end(): unknown;
  destroy(): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  readonly closed?: boolean;
};

/** A {@link Sink} over a `node:http` (or http2 compatibility) response. */
export class ResponseSink implements Sink {
  private readonly res: Writable;

  constructor(res: SseResponse) {
    this.res = res as unknown as Writable;
  }

  write(bytes: Buffer, done: (error?: Error | null) => void): boolean {
    return this.res.write(bytes, done);
  }

  end(): void {
    this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.closed === true;
  }

  listen(listener: SinkListener): () => void {
    const { res } = this;
    res.on('drain', listener.drain);
    res.on('close', listener.close);
    res.on('error', listener.error);
    if (this.closed) queueMicrotask(listener.close);
    return () => {
      res.off('drain', listener.drain);
      res.off('close', listener.close);
      res.off('error', listener.error);
    };
  }
}

/** The client's last id: the `Last-Event-ID` header (a reconnect), else a `lastEventId` query parameter (a first connect from a stored id). */
export function lastEventIdOf(req: SseRequest): string | undefined {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header !== '') return header;
  const url = req.url ?? '';
  if (!url.includes('lastEventId=')) return undefined;
  return new URL(url, 'http://localhost').searchParams.get('lastEventId') ?? undefined;
}
