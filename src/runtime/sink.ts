/**
 * What a connection actor writes to: the response stream behind a small adapter, so actors never
 * see Koa or `node:http` (STYLE: better-sse's Session/EventBuffer split). An adapter for another
 * stack implements it and hands it to `admission.attach(sink)`.
 * @example
 * ```ts
 * const admission = system.admit({ topics: 'news' });
 * const id = admission.attach(new ResponseSink(res, sseResponseHeaders(req))); // the node:http adapter's own Sink
 * ```
 */
export interface Sink {
  /**
   * Sends the stream's head (status 200 and its headers), once, before the first write.
   * `firstWrite` is true when bytes follow at once; with nothing to write yet, the head is flushed
   * now so the client sees the stream open.
   */
  open(firstWrite: boolean): void;
  /** Writes bytes; `done` runs once they reached the socket (or with the error). False = back off until `drain`. */
  write(bytes: Buffer, done: (error?: Error | null) => void): boolean;
  /** Ends the stream after what was written. */
  end(): void;
  /** Tears the stream down at once (a failed or abandoned connection). */
  destroy(): void;
  /** Starts telling `listener` about `close` or `error` (both mean the stream is gone), and about `drain` after a write returned false. */
  listen(listener: SinkListener): void;
  /** Removes every listener `listen` added; idempotent. */
  unlisten(): void;
  /** True once the underlying stream closed or failed. */
  readonly closed: boolean;
  /** True once `end()` was called. */
  readonly ended: boolean;
}

/**
 * What a {@link Sink} tells about its stream: the connection listens, an adapter's Sink calls it.
 * @example
 * ```ts
 * const listener: SinkListener = { onSinkDrain: () => console.log('drained'), onSinkClose: () => console.log('gone') };
 * ```
 */
export interface SinkListener {
  onSinkDrain(): void;
  /** The stream closed or failed. */
  onSinkClose(): void;
}
