/**
 * A remote transport could not take an event (its server is down past the publish timeout, the
 * publish queue is full, or the transport was stopped). `notify`'s promise rejects with it; nothing
 * was delivered anywhere. Answered as 503 where it reaches HTTP.
 * @example
 * ```ts
 * try {
 *   await system.notify(event); // a system with a remote transport
 * } catch (error) {
 *   if (error instanceof TransportError) console.error('not published, nothing delivered:', error.message);
 * }
 * ```
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly status = 503;
  readonly expose = true;
  /** The transport: `redis`, … */
  readonly transport: string;

  constructor(transport: string, message: string, cause?: unknown) {
    super(`${transport} transport: ${message}`, cause === undefined ? undefined : { cause });
    this.transport = transport;
  }
}
