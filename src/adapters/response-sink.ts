import { OutgoingMessage } from 'node:http';
import type { Sink, SinkListener } from '../runtime/sink.ts';
import { http2Slack } from './http2-window.ts';
import type { SseResponse } from './node-http.ts';

type Writable = {
  write(chunk: Buffer | string, cb: (error?: Error | null) => void): boolean;
  write(chunk: string, encoding: BufferEncoding, cb: (error?: Error | null) => void): boolean;
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
  /** Where `onDrain` listens: the response, or its socket once writes go there directly. */
  private drainsFrom: Writable | undefined;
  private onClose: (() => void) | undefined;
  private first = true;
  /** True for an HTTP/1.x `ServerResponse` whose `write` is node's own: then {@link directSocket} may apply. */
  private readonly plain: boolean;

  constructor(
    res: SseResponse,
    /** The head's headers (HTTP version and `Connection` aware: {@link sseResponseHeaders}). */
    private readonly headers: Readonly<Record<string, string>>,
  ) {
    this.res = res as unknown as Writable;
    this.plain = res.write === OutgoingMessage.prototype.write;
  }

  open(firstWrite: boolean): void {
    const res = this.res as unknown as SseResponse;
    (res as { writeHead(status: number, headers: Readonly<Record<string, string>>): unknown }).writeHead(200, this.headers);
    if (!firstWrite && 'flushHeaders' in res) res.flushHeaders();
  }

  write(bytes: Buffer, done: (error?: Error | null) => void): boolean {
    const socket = this.plain && bytes.length > 0 ? this.directSocket() : undefined;
    if (socket !== undefined) {
      const res = this.res as unknown as PlainResponse;
      if (res._headerSent) {
        this.first = false;
        return this.written(socket.write(chunked(bytes), done), socket);
      }
      const header = res._header as string;
      const framed = this.first ? firstChunk(bytes) : undefined; // sets firstAscii
      if (framed !== undefined && (firstAscii || !NON_ASCII.test(header))) {
        // The head and the first chunk in one socket write, as `res.write` would join them, without
        // its cork, its four `_send`s and its `nextTick` (and the `writev` they end in). The bytes
        // are the same: node writes the head as latin1 and the frame as UTF-8, and one of the two
        // is ASCII, where both encodings agree.
        res._headerSent = true;
        this.first = false;
        const head = header + framed;
        const ok = socket.write(head, firstAscii ? 'latin1' : 'utf8', done);
        // Node keeps the head it sent (`_header`, read later only as "the head is out") as the chain
        // of concatenations that built it, about 20 strings for the stream's whole life. An equal
        // slice of what was just written holds the same text in one string (docs/decisions.md).
        res._header = head.slice(0, header.length);
        return this.written(ok, socket);
      }
    }
    // Through res.write, the first write goes out as text: node joins the pending headers and a
    // string body into one socket write, but writes a Buffer body after the headers separately
    // (measured under churn: about 8 µs more per connection). Frames are UTF-8 of JS strings, so
    // the bytes are the same.
    const chunk = this.first ? textOf(bytes) : bytes;
    this.first = false;
    let ok = this.res.write(chunk, done);
    // HTTP/2: false as soon as a burst is queued for nghttp2's next tick; behind only beyond the window.
    if (!ok) ok = this.res.writableLength <= (http2Slack(this.res) ?? -1);
    return this.written(ok, this.res);
  }

  /**
   * The socket to write to directly, when that is exactly what `res.write` would do: the response
   * is the socket's current message on a writable socket, has its head (made by `writeHead`; sent,
   * or to go out with this write), holds nothing back (no bytes waiting for the socket, not corked)
   * and is chunked. `res.write` then frames the bytes as a chunk and hands four pieces to the socket
   * through a cork and a `nextTick`; a direct write hands it one buffer whose framing is made once
   * per event for all its subscribers (see {@link chunked}), or the head and the first chunk as one
   * string.
   */
  private directSocket(): Writable | undefined {
    const res = this.res as unknown as PlainResponse;
    const socket = res.socket;
    if (socket === null || socket === undefined || socket._httpMessage !== res || !res.chunkedEncoding || typeof res._header !== 'string') return undefined;
    if (res.outputSize !== 0 || res.writableCorked !== socket.writableCorked || res.writableEnded || !socket.writable) return undefined;
    return socket as unknown as Writable;
  }

  /** After a write to `to`: `drain` is listened to on it once it has pushed back. */
  private written(ok: boolean, to: Writable): boolean {
    // Most streams never push back: an idle stream then carries one listener closure instead of two.
    if (!ok && this.listener && this.drainsFrom !== to) {
      const listener = this.listener;
      if (this.onDrain && this.drainsFrom) this.drainsFrom.off('drain', this.onDrain);
      this.onDrain ??= () => listener.onSinkDrain();
      this.drainsFrom = to;
      to.on('drain', this.onDrain);
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
    const { res, onDrain, onClose, drainsFrom } = this;
    if (onDrain && drainsFrom) drainsFrom.off('drain', onDrain);
    if (onClose) {
      res.off('close', onClose);
      res.off('error', onClose);
    }
    this.onDrain = this.onClose = this.listener = this.drainsFrom = undefined;
    // A closed response is never written again: let go of it. V8 may already have promoted this
    // sink (or its handle) to the old generation; a dead old object that still points at the young
    // response, request and socket keeps them alive through every young-generation GC until the
    // next full one, and they get promoted in turn. Measured under churn: twice the promoted bytes
    // and GC time of raw node:http with the link, on par without it.
    if (this.closed) this.res = GONE_RESPONSE;
  }
}

/** What {@link ResponseSink.directSocket} reads of an HTTP/1.x response (`_httpMessage`: node's link from a socket to the response it writes). */
interface PlainResponse {
  readonly socket: (Writable & { readonly _httpMessage?: unknown; readonly writableCorked: number; readonly writable: boolean }) | null | undefined;
  readonly chunkedEncoding: boolean;
  /** The head as `writeHead` made it (latin1 text), until it is sent; `_headerSent` once it was. */
  _header: string | null | undefined;
  _headerSent: boolean;
  readonly outputSize: number;
  readonly writableCorked: number;
  readonly writableEnded: boolean;
}

const CRLF = Buffer.from('\r\n');
let lastBody: Buffer | undefined;
let lastChunk: Buffer | undefined;

/**
 * `bytes` framed as one HTTP/1.1 chunk (size in hex, CRLF, the bytes, CRLF), in one buffer. A
 * fan-out writes the same frame to every subscriber in a row: the last framing is kept, so an event
 * is framed once whatever the number of its subscribers.
 */
function chunked(bytes: Buffer): Buffer {
  if (bytes === lastBody) return lastChunk as Buffer;
  const size = bytes.length.toString(16);
  const chunk = Buffer.allocUnsafe(size.length + 4 + bytes.length);
  chunk.write(size, 0, 'latin1');
  CRLF.copy(chunk, size.length);
  bytes.copy(chunk, size.length + 2);
  CRLF.copy(chunk, chunk.length - 2);
  lastBody = bytes;
  lastChunk = chunk;
  return chunk;
}

let lastBytes: Buffer | undefined;
let lastText = '';

/** `bytes` as text; streams opened one after another usually start with the same (shared) frame, so the last one is kept. */
function textOf(bytes: Buffer): string {
  if (bytes !== lastBytes) {
    lastText = bytes.toString('utf8');
    lastBytes = bytes;
  }
  return lastText;
}

let lastFirst: Buffer | undefined;
let lastFirstChunk = '';
/** Whether {@link firstChunk}'s last result is ASCII. */
let firstAscii = true;
/** Printable ASCII and the line breaks pass; anything else (latin1, UTF-8, other controls) counts as not ASCII, which only means `res.write` does it. */
const NON_ASCII = /[^\t\n\r\x20-\x7e]/;

/**
 * `bytes` framed as one HTTP/1.1 chunk, as text (for a socket write that joins it to the head).
 * Streams usually start with the same (shared) frame: the last one is kept, with whether it is ASCII.
 */
function firstChunk(bytes: Buffer): string {
  if (bytes !== lastFirst) {
    lastFirstChunk = `${bytes.length.toString(16)}\r\n${bytes.toString('utf8')}\r\n`;
    firstAscii = !NON_ASCII.test(lastFirstChunk);
    lastFirst = bytes;
  }
  return lastFirstChunk;
}
