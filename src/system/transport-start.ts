import type { Transport, TransportMessage, TransportState } from '../transport/types.ts';

/** The events a system takes from its transport. */
export interface Delivery {
  deliver(message: TransportMessage): void;
  restore(message: TransportMessage): void;
}

function logState(node: string, kind: string, state: TransportState, error: unknown): void {
  const why = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
  console.error(`[sse-actors] node ${node}: ${kind} transport ${state}${why}`);
}

/**
 * Starts `transport` for a system. A synchronous throw (a transport already in use, bad settings)
 * is the caller's (`createSystem` fails); an asynchronous failure rejects the returned promise
 * (`ready()`) and is logged once. State changes are logged, one line each.
 */
export function startTransport(
  transport: Transport,
  node: string,
  options: { readonly topics: readonly string[]; readonly families: readonly string[]; readonly history: { readonly size: number; readonly ttlMs: number } },
  delivery: Delivery,
): Promise<void> {
  const started = transport.start({
    topics: options.topics,
    families: options.families,
    history: options.history,
    deliver: delivery.deliver,
    restore: delivery.restore,
    stateChanged: (state, error) => logState(node, transport.kind, state, error),
  });
  const ready = Promise.resolve(started);
  ready.catch((error: unknown) => console.error(`[sse-actors] node ${node}: the ${transport.kind} transport failed to start:`, error));
  return ready;
}
