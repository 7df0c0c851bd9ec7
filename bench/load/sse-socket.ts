import net from 'node:net';
import type { Histogram } from './histogram.ts';

/** Wall-clock ms with µs precision, comparable across processes (the servers stamp with it). */
export const now = (): number => performance.timeOrigin + performance.now();

const HEADER_END = '\r\n\r\n';
const MARKER = Buffer.from('ts=');
const SPACE = 0x20;
const DOT = 0x2e;
const ZERO = 0x30;
/** Longest `ts=<number>` the servers write, with room to spare. */
const MAX_STAMP = 40;

/**
 * One read buffer for every socket of the process: `onread` callbacks run one at a time and each
 * consumes its bytes before returning, so 10k sockets need no buffer of their own (and no stream
 * machinery: this keeps the client cheaper than the servers it measures).
 */
const shared = Buffer.allocUnsafe(256 * 1024);

export interface SseSocketEvents {
  /** First body bytes: the server has subscribed this stream. */
  open(socket: SseSocket): void;
  /** A non-200 answer, a socket error, or the server closed the stream. */
  fail(socket: SseSocket, reason: string): void;
  /** `n` more events arrived on this socket. */
  events(socket: SseSocket, n: number): void;
}

/**
 * One SSE client connection on a raw socket (an HTTP/1.1 GET). Counting is cheap on purpose, so
 * that one client process can follow 10k streams: every event payload of the benchmark servers
 * starts with `ts=<ms>`, and each such marker is one event; its number gives the latency.
 * Chunked-encoding size lines never contain the marker, and every server writes whole frames, so
 * they never split one; a marker or number split across TCP reads is carried over.
 */
export class SseSocket {
  readonly socket: net.Socket;
  opened = false;
  closed = false;
  events = 0;
  private head = '';
  private headersDone = false;
  private carry = '';

  constructor(
    port: number,
    path: string,
    private readonly latency: Histogram,
    private readonly on: SseSocketEvents,
    /** A source address of 127.0.0.0/8 other than 127.0.0.1: each has its own ~28k ephemeral ports. */
    localAddress?: string,
  ) {
    this.socket = net.connect({
      host: '127.0.0.1',
      port,
      ...(localAddress === undefined ? {} : { localAddress }),
      noDelay: true,
      onread: { buffer: shared, callback: (n: number, buf: Uint8Array) => this.read(buf as Buffer, n) },
    });
    this.socket.on('connect', () => {
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    this.socket.on('error', (error: Error) => this.fail(error.message));
    this.socket.on('close', () => this.fail('closed by the server'));
  }

  /** Closes the stream from the client side. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.on.fail(this, reason);
  }

  /** Handles one read; always true: never pause the socket. */
  private read(buf: Buffer, length: number): true {
    this.scan(buf, length);
    return true;
  }

  private scan(buf: Buffer, length: number): void {
    let pos = 0;
    if (!this.headersDone) {
      this.head += buf.toString('latin1', 0, length);
      const end = this.head.indexOf(HEADER_END);
      if (end === -1) return;
      if (!this.head.startsWith('HTTP/1.1 200')) return this.fail(`answered ${this.head.slice(0, this.head.indexOf('\r\n'))}`);
      this.headersDone = true;
      pos = length - (this.head.length - (end + HEADER_END.length));
      this.head = '';
      if (pos >= length) return;
    }
    if (!this.opened) {
      this.opened = true;
      this.on.open(this);
    }
    const at = now();
    let n = 0;
    if (this.carry !== '') {
      const joined = this.carry + buf.toString('latin1', pos, Math.min(length, pos + MAX_STAMP));
      const had = this.carry.length;
      this.carry = '';
      if (joined.length < 3 && 'ts='.startsWith(joined)) {
        this.carry = joined; // the read was one byte: still a cut marker
        return;
      }
      if (joined.startsWith('ts=')) {
        const space = joined.indexOf(' ');
        if (space === -1) {
          this.carry = joined;
          return;
        }
        n++;
        this.latency.record(at - Number(joined.slice(3, space)));
        pos += space + 1 - had;
      }
    }
    const view = length === buf.length ? buf : buf.subarray(0, length);
    let i = view.indexOf(MARKER, pos);
    while (i !== -1) {
      // ts=<integer>.<fraction> up to a space, parsed in place.
      let j = i + MARKER.length;
      let value = 0;
      let scale = 0;
      let c = 0;
      for (; j < length; j++) {
        c = view[j] as number;
        if (c === SPACE) break;
        if (c === DOT) scale = 1;
        else {
          value = value * 10 + (c - ZERO);
          if (scale > 0) scale *= 10;
        }
      }
      if (j === length) {
        this.carry = view.toString('latin1', i, length);
        break;
      }
      n++;
      this.latency.record(at - (scale > 0 ? value / scale : value));
      i = view.indexOf(MARKER, j);
    }
    // A marker cut after its first or second letter.
    if (i === -1 && length > 0) {
      if (view[length - 1] === 0x74) this.carry = 't';
      else if (length > 1 && view[length - 2] === 0x74 && view[length - 1] === 0x73) this.carry = 'ts';
    }
    if (n > 0) {
      this.events += n;
      this.on.events(this, n);
    }
  }
}
