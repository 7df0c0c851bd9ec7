/**
 * `sse-actors/client`: the browser client. Built to one self-contained `dist/client.js`; imports
 * nothing of the server side.
 */
export { EventStream, StreamErrorEvent, type EventStreamEventMap, type ServerNotice, type StreamState } from './event-stream.ts';
export type { Backoff, EventStreamInit, StorageName, TransportName } from './options.ts';
