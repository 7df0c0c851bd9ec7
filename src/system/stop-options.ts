/**
 * Options of {@link SseSystem.stop}.
 * @example
 * ```ts
 * process.once('SIGTERM', async () => {
 *   await system.stop({ timeoutMs: 10_000 }); // streams still open after 10 s are destroyed
 *   server.close();
 * });
 * ```
 */
export interface StopOptions {
  /** How long to wait for streams to flush and end before they are destroyed. @default 5000 */
  timeoutMs?: number;
}
