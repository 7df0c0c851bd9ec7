import { createParser } from 'eventsource-parser';
import type { Settings } from './options.ts';

/**
 * The two ways to hold one stream: `fetch` (a streaming body, parsed by eventsource-parser) and the
 * browser's own `EventSource`. Each reports to a {@link Sink}; the connector decides what follows.
 */

/** What a transport reports about one connection. Nothing is reported after `Link.close()`. */
export interface Sink {
  open(): void;
  /** One dispatched message; `id` only when this message carried an `id:` field. */
  event(type: string, data: string, id: string | undefined): void;
  retry(ms: number): void;
  /** The stream dropped and the transport reconnects by itself (the native one does). */
  drop(): void;
  /** The connection is over; `status` when the server answered something other than a stream. */
  end(status?: number): void;
}

/** One connection as its owner holds it. */
export interface Link {
  close(): void;
  /** A listener for events named `type` was added (the native transport dispatches only those). */
  listen(type: string): void;
}

export type Dial = (url: string, lastId: string | undefined, sink: Sink) => Link;

/** The event of the server's busy answer (`retry:`, `event: sse-busy`, the end of the stream). */
export const BUSY_EVENT = 'sse-busy';
/** The event a server sends when it cannot replay from the client's last id (protocol/control.ts). */
export const RESET_EVENT = 'sse-reset';
/** The event of a stream the server ended for good (`system.disconnect(…, { reconnect: false })`). */
export const CLOSE_EVENT = 'sse-close';

const EVENT_STREAM = /^text\/event-stream/i;

/** Streams the body of `fetch(url)`: sends `headers`, `credentials` and `Last-Event-ID`. */
export function fetchDial(settings: Pick<Settings, 'headers' | 'credentials'>): Dial {
  return (url, lastId, sink) => {
    const abort = new AbortController();
    let live = true;
    const end = (status?: number) => {
      if (!live) return;
      live = false;
      abort.abort();
      sink.end(status);
    };
    const headers: Record<string, string> = { Accept: 'text/event-stream', ...settings.headers };
    if (lastId !== undefined) headers['Last-Event-ID'] = lastId;
    const read = async () => {
      const res = await fetch(url, { headers, credentials: settings.credentials, cache: 'no-store', signal: abort.signal });
      if (res.status !== 200 || !res.body || !EVENT_STREAM.test(res.headers.get('content-type') ?? '')) {
        void res.body?.cancel().catch(() => {});
        return end(res.status);
      }
      sink.open();
      const parser = createParser({
        onEvent: (message) => live && sink.event(message.event ?? 'message', message.data, message.id),
        onRetry: (ms) => live && sink.retry(ms),
      });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (let chunk = await reader.read(); !chunk.done && live; chunk = await reader.read()) {
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
      end();
    };
    read().catch(() => end());
    return {
      close: () => {
        live = false;
        abort.abort();
      },
      listen: () => {},
    };
  };
}

/** `url` with `lastEventId=` in its query: the native EventSource cannot send the header first. */
export function withLastEventId(url: string, id: string | undefined): string {
  if (id === undefined) return url;
  const target = new URL(url);
  target.searchParams.set('lastEventId', id);
  return target.href;
}

/** The page is being unloaded: the browser closes its EventSources, which asks no status probe. */
let leaving = false;
const page = globalThis as { addEventListener?: (type: string, listener: (event: { persisted?: boolean }) => void) => void };
page.addEventListener?.('pagehide', () => (leaving = true));
page.addEventListener?.('pageshow', () => (leaving = false));

/**
 * The browser's own EventSource. It reconnects by itself after a dropped stream (honouring
 * `retry:` and sending `Last-Event-ID`); when an attempt fails before it opened, the connector
 * takes over, and one `fetch` of the same URL learns the status the EventSource would not tell.
 */
export function nativeDial(settings: Pick<Settings, 'withCredentials' | 'credentials'>): Dial {
  return (url, lastId, sink) => {
    const target = withLastEventId(url, lastId);
    const source = new EventSource(target, { withCredentials: settings.withCredentials });
    const abort = new AbortController();
    let live = true; // false once it gave up, or was closed
    let closed = false;
    // The browser's own last event id starts empty whatever the query says: an event without `id:` keeps it so.
    let last = '';
    const listening = new Set<string>();
    const listen = (type: string) => {
      if (listening.has(type)) return;
      listening.add(type);
      source.addEventListener(type, (message: MessageEvent<string>) => {
        const id = message.lastEventId !== last ? message.lastEventId : undefined;
        last = message.lastEventId;
        if (live) sink.event(type, message.data, id);
      });
    };
    for (const type of ['message', BUSY_EVENT, RESET_EVENT, CLOSE_EVENT]) listen(type);
    // Opened since the last error: an error now is a dropped stream, which the EventSource retries
    // by itself. An error before any open is a failed attempt: that one is the connector's.
    let opened = false;
    source.onopen = () => {
      opened = true;
      if (live) sink.open();
    };
    source.onerror = () => {
      if (!live) return;
      if (opened) {
        opened = false;
        return sink.drop();
      }
      source.close();
      live = false;
      // A page being unloaded closes its EventSources with an error just before `pagehide`: a task
      // later, that page asks nothing.
      setTimeout(() => {
        if (leaving || closed) return;
        fetch(target, { credentials: settings.credentials, headers: { Accept: 'text/event-stream' }, cache: 'no-store', signal: abort.signal })
          .then((res) => res.status, () => undefined)
          .then((status) => {
            abort.abort(); // the status is all it was for: no body is read
            if (!closed) sink.end(status);
          });
      });
    };
    return {
      close: () => {
        live = false;
        closed = true;
        source.close();
        abort.abort();
      },
      listen,
    };
  };
}
