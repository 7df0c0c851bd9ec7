// The storm's clients (bench/storm.ts): N EventSource-like streams on raw sockets, in one process.
// Each one does what a browser does: on the end of a stream or a network error, it waits the last
// `retry:` it was sent and reconnects with `Last-Event-ID`. It counts every event id it sees: a
// gap is a lost event, a repeat a duplicate.
//   in:  { type: 'open', port, count } → { type: 'opened' } once every stream has its head
//        { type: 'mark' }  → from now on, a stream is "back" when an event arrives on a new connection
//        { type: 'state' } → { type: 'state', back: ms[] (since mark), lastIds, lost, duplicates, busy, refused }
import net from 'node:net';

let port = 0;
let markAt = 0;
let busy = 0;
let refused = 0;
const streams: Stream[] = [];
const shared = Buffer.allocUnsafe(256 * 1024);

class Stream {
  lastId = 0;
  retry = 3000;
  lost = 0;
  duplicates = 0;
  /** ms after the mark when an event first arrived on a connection opened after it. */
  back = -1;
  /** Connections made (for the report of streams that never came back). */
  attempts = 0;
  headed = false;
  private carry = '';
  private connectedAt = 0;
  private done = false;
  private socket: net.Socket | undefined;

  constructor(private readonly onHead: () => void) {
    this.connect();
  }

  private connect(): void {
    this.carry = '';
    this.done = false;
    this.connectedAt = performance.now();
    this.attempts += 1;
    const socket = (this.socket = net.connect({ host: '127.0.0.1', port, onread: { buffer: shared, callback: (n: number, buf: Uint8Array) => (this.read((buf as Buffer).toString('latin1', 0, n)), true) } }));
    socket.on('connect', () => socket.write(`GET /sse HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n${this.lastId > 0 ? `Last-Event-ID: ${this.lastId}\r\n` : ''}\r\n`));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') refused += 1;
    });
    socket.on('close', () => this.again());
  }

  private again(): void {
    if (this.done) return;
    this.done = true;
    setTimeout(() => this.connect(), this.retry);
  }

  private read(text: string): void {
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('id: ')) this.event(Number(line.slice(4)));
      else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
      else if (line === 'event: sse-busy') busy += 1;
      else if (line === '0\r') {
        // The last chunk: the server ended the stream (the socket may stay open for another request).
        this.socket?.destroy();
        this.again();
      }
      else if (!this.headed && line.startsWith('HTTP/1.1 200')) {
        this.headed = true;
        this.onHead();
      }
    }
  }

  get isOpen(): string {
    return `${this.socket?.readyState ?? 'none'} done=${this.done}`;
  }

  private event(id: number): void {
    if (id <= this.lastId) this.duplicates += 1;
    else if (this.lastId > 0) this.lost += id - this.lastId - 1;
    this.lastId = Math.max(this.lastId, id);
    if (this.back === -1 && markAt > 0 && this.connectedAt > markAt) this.back = performance.now() - markAt;
  }
}

process.on('message', (message: { type: string; port?: number; count?: number }) => {
  if (message.type === 'open') {
    port = message.port as number;
    let headed = 0;
    const count = message.count as number;
    // 200 at a time, as the bench's other scenarios open them.
    const next = () => {
      if (streams.length < count) streams.push(new Stream(() => {
        headed += 1;
        if (headed === count) process.send?.({ type: 'opened' });
        next();
      }));
    };
    for (let i = 0; i < Math.min(200, count); i++) next();
  }
  if (message.type === 'mark') markAt = performance.now();
  if (message.type === 'state') {
    process.send?.({
      type: 'state',
      back: streams.map((s) => s.back),
      lastIds: streams.map((s) => s.lastId),
      lost: streams.reduce((n, s) => n + s.lost, 0),
      duplicates: streams.reduce((n, s) => n + s.duplicates, 0),
      busy,
      refused,
      stuck: streams.filter((s) => s.back === -1).slice(0, 5).map((s) => ({ attempts: s.attempts, lastId: s.lastId, retry: s.retry, open: s.isOpen })),
    });
  }
});
process.on('disconnect', () => process.exit(0));
