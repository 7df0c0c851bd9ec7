/**
 * `sse-actors/client` for tests that run it in Node next to a server. The client is typed against
 * the DOM library and the server against Node's, and the two do not mix in one program (DOM's
 * `Response` takes no Buffer), so the client is loaded at run time and typed here by what these
 * tests use. test/package/consumer-client-types.ts checks its real declarations with the DOM lib.
 */

/** A message as the client dispatches it. */
export interface ClientMessage extends Event {
  readonly data: string;
  readonly lastEventId: string;
}

/** The `error` event: the HTTP status, and the wait before the next attempt. */
export interface ClientError extends Event {
  readonly status: number | undefined;
  readonly retryMs: number | undefined;
}

export interface NodeEventStream extends EventTarget {
  readonly readyState: 0 | 1 | 2;
  readonly state: string;
  readonly url: string;
  readonly withCredentials: boolean;
  readonly leader: boolean;
  readonly lastEventId: string | undefined;
  onmessage: ((message: ClientMessage) => void) | null;
  onerror: ((event: ClientError) => void) | null;
  close(): void;
}

export interface ClientModule {
  EventStream: { new (url: string, init?: Record<string, unknown>): NodeEventStream; readonly CONNECTING: 0; readonly OPEN: 1; readonly CLOSED: 2 };
  BUSY_EVENT: string;
  RESET_EVENT: string;
  CLOSE_EVENT: string;
}

// Paths in variables: the type checker does not follow them into src/client/.
const CLIENT = '../../src/client/index.ts';
const WIRE = '../../src/client/transports.ts';

/** The client from source, and the wire names of its control events. */
export async function loadClient(): Promise<ClientModule> {
  const [client, wire] = await Promise.all([import(CLIENT) as Promise<Pick<ClientModule, 'EventStream'>>, import(WIRE) as Promise<Omit<ClientModule, 'EventStream'>>]);
  return { EventStream: client.EventStream, BUSY_EVENT: wire.BUSY_EVENT, RESET_EVENT: wire.RESET_EVENT, CLOSE_EVENT: wire.CLOSE_EVENT };
}
