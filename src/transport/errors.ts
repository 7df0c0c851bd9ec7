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

/**
 * The cluster transport was used where it cannot work: in a process that is neither a `node:cluster`
 * worker nor a primary that called `clusterPrimary()`, or `clusterPrimary()` called twice.
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * if (cluster.isPrimary) clusterPrimary({ workers: 2 }); // before any clusterTransport() in the primary
 * else createSystem({ topics: ['news'], transport: clusterTransport() });
 * ```
 */
export class ClusterSetupError extends Error {
  override readonly name = 'ClusterSetupError';
}
