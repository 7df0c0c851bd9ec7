/**
 * Options of {@link SseSystem.stop}. Every open stream ends with a `retry:` hint spread like a busy
 * answer (`busyRetry`, 1–5 s by default), so a deploy does not bring every client back in the same second.
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
