import type { Transport, TransportHost, TransportMessage, TransportStatus } from './types.ts';

/**
 * The in-process transport: `publish` delivers synchronously, so `notify` returns `void`.
 * @example
 * ```ts
 * const transport: MemoryTransport = memoryTransport();
 * transport.kind; // 'memory'
 * ```
 */
export type MemoryTransport = Transport<void> & { readonly kind: 'memory' };

/**
 * The default transport: one process, no server needed. A published message is delivered to this
 * system in the same synchronous call, so a stream that subscribes later finds it in history and
 * one subscribed already gets it live.
 * @example
 * ```ts
 * const system = createSystem({ topics: ['news'], transport: memoryTransport() }); // the same as leaving it out
 * system.notify({ id: 1, topic: 'news', data: { data: 'hi' } }); // returns void: delivered before it returns
 * ```
 */
export function memoryTransport(): MemoryTransport {
  let host: TransportHost | undefined;
  let stopped = false;
  const status: TransportStatus = Object.freeze({ kind: 'memory', state: 'connected', lagMs: 0, pending: 0 });
  return {
    kind: 'memory',
    start(next) {
      if (host) throw new Error('memoryTransport(): this transport already serves a system; create one per createSystem()');
      host = next;
    },
    publish(message: TransportMessage): void {
      if (!stopped) host?.deliver(message);
    },
    status: () => (stopped ? { ...status, state: 'stopped' } : status),
    stop() {
      stopped = true;
      return Promise.resolve();
    },
  };
}
