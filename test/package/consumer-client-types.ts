// Type-checked inside the empty project that installed the tarball, as a page's code: DOM library,
// no Node types, strict, skipLibCheck off. `sse-actors/client` must type as EventSource does.
import { EventStream, StreamErrorEvent, type EventStreamInit } from 'sse-actors/client';

const init: EventStreamInit = { headers: { Authorization: 'Bearer x' }, storage: 'local', backoff: { minMs: 500, maxMs: 10_000 } };
const stream = new EventStream('/rates', init);
stream.onmessage = (message: MessageEvent<string>) => void message.data.length;
stream.onerror = (event: StreamErrorEvent) => void event.status;
stream.addEventListener('reset', (event) => void event.detail.reason);
stream.addEventListener('busy', (event) => void event.detail.reason);
stream.addEventListener('rate', (event) => void event.type);
const asEventSource: Pick<EventSource, 'readyState' | 'url' | 'withCredentials' | 'close' | 'CLOSED'> = stream;
const state: 'connecting' | 'open' | 'retrying' | 'waiting' | 'closed' = stream.state;
// @ts-expect-error as EventSource's, readyState is read-only
stream.readyState = 1;
void [asEventSource, state, EventStream.OPEN];
