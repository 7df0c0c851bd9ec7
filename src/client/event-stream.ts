import { Connector, type Note } from './connector.ts';
import { settle, type EventStreamInit, type Settings } from './options.ts';
import { Tabs, type Leading } from './share.ts';
import { BUSY_EVENT, CLOSE_EVENT, fetchDial, nativeDial, RESET_EVENT } from './transports.ts';

/**
 * Where the stream is: `connecting`, `open`, `retrying` (waiting out the backoff), `waiting` (for
 * the page to be online and visible again), or `closed` (by `close()` or a stop answer).
 * @example
 * ```ts
 * stream.addEventListener('statechange', () => (badge.textContent = stream.state));
 * ```
 */
export type StreamState = 'connecting' | 'open' | 'retrying' | 'waiting' | 'closed';

/**
 * The `error` event: as EventSource's, plus the HTTP `status` when the server answered without a
 * stream and `retryMs` when a reconnect is planned (`undefined` when the stream stopped or waits).
 * @example
 * ```ts
 * stream.onerror = (event) => {
 *   if (stream.readyState === EventStream.CLOSED) console.warn('stopped with', event.status);
 * };
 * ```
 */
export class StreamErrorEvent extends Event {
  readonly status: number | undefined;
  readonly retryMs: number | undefined;
  constructor(status: number | undefined, retryMs: number | undefined) {
    super('error');
    this.status = status;
    this.retryMs = retryMs;
  }
}

/**
 * What the server said in `sse-reset` (the client cannot resume: reload the state) or `sse-busy`
 * (turned away for now: the client comes back after the server's `retry:`).
 * @example
 * ```ts
 * stream.addEventListener('reset', (event) => console.warn(event.detail.reason));
 * ```
 */
export interface ServerNotice {
  reason: string;
  [field: string]: unknown;
}

/**
 * The events of an {@link EventStream}: EventSource's, and its own.
 * @example
 * ```ts
 * const handlers: Partial<{ [K in keyof EventStreamEventMap]: (event: EventStreamEventMap[K]) => void }> = {};
 * ```
 */
export interface EventStreamEventMap {
  open: Event;
  message: MessageEvent<string>;
  error: StreamErrorEvent;
  reset: CustomEvent<ServerNotice>;
  busy: CustomEvent<ServerNotice>;
  /** The server ended the stream for good (`sse-close`): the stream is `CLOSED` and does not come back. */
  close: CustomEvent<ServerNotice>;
  statechange: Event;
}

type Handler<E> = ((this: EventStream, event: E) => unknown) | null;

/** Events the stream itself fires: a listener for them asks the transport for nothing. */
const OWN_EVENTS = ['open', 'error', 'message', 'busy', 'reset', 'close', 'statechange'];

/** Ids a shared tab remembers having dispatched (to drop a handover's repeats). */
const REMEMBERED = 1024;

/**
 * A drop-in for `EventSource` that reconnects with full-jitter backoff (after 5xx and network
 * errors too), stops on 204/400/401/403/404, resumes after a reload, can send headers (through
 * `fetch`), and shares one connection among the tabs of an origin.
 * @example
 * ```ts
 * const stream = new EventStream('/exchange_rates/usd_eur');
 * stream.onmessage = (message) => render(JSON.parse(message.data));
 * stream.addEventListener('reset', () => location.reload());
 * ```
 */
export class EventStream extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;

  /** The absolute URL of the stream. */
  readonly url: string;
  readonly withCredentials: boolean;
  #readyState: 0 | 1 | 2 = 0;
  #state: StreamState = 'connecting';
  #lastEventId: string | undefined;

  readonly #settings: Settings;
  readonly #names = new Set<string>();
  readonly #handlers: Record<string, Handler<Event>> = {};
  readonly #seen = new Set<string>();
  readonly #storage: Storage | undefined;
  readonly #storageKey: string;
  #tabs: Tabs | undefined;
  #own: Leading | undefined;

  constructor(url: string | URL, init?: EventStreamInit) {
    super();
    const settings = (this.#settings = settle(url, init));
    this.url = settings.url;
    this.withCredentials = settings.withCredentials;
    this.#storageKey = `sse-actors:${settings.url}`;
    this.#storage = storageOf(settings);
    this.#lastEventId = this.#storage?.getItem(this.#storageKey) ?? undefined;
    const member = {
      apply: (note: Note) => this.#apply(note),
      lead: (relay: (note: Note) => void) => this.#lead(relay),
      types: () => [...this.#names],
      lastId: () => this.lastEventId,
    };
    if (!settings.share) this.#own = this.#lead((note) => this.#apply(note));
    else this.#tabs = new Tabs(`sse-actors:${JSON.stringify([settings.url, settings.transport, settings.headers, settings.credentials])}`, member);
  }

  /** 0 connecting, 1 open, 2 closed: as EventSource's. */
  get readyState(): 0 | 1 | 2 {
    return this.#readyState;
  }

  /** Where the stream is, in more detail than `readyState` (`statechange` fires when it changes). */
  get state(): StreamState {
    return this.#state;
  }

  /** The last event id this tab dispatched (kept in `storage` across reloads). */
  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  /** True while this tab holds the connection (always, without `share`). */
  get leader(): boolean {
    return this.#own !== undefined || this.#tabs?.leading === true;
  }

  get onopen(): Handler<Event> {
    return this.#handlers.open ?? null;
  }
  set onopen(handler: Handler<Event>) {
    this.#on('open', handler);
  }
  get onmessage(): Handler<MessageEvent<string>> {
    return this.#handlers.message ?? null;
  }
  set onmessage(handler: Handler<MessageEvent<string>>) {
    this.#on('message', handler as Handler<Event>);
  }
  get onerror(): Handler<StreamErrorEvent> {
    return this.#handlers.error ?? null;
  }
  set onerror(handler: Handler<StreamErrorEvent>) {
    this.#on('error', handler as Handler<Event>);
  }

  override addEventListener<K extends keyof EventStreamEventMap>(type: K, listener: (this: EventStream, event: EventStreamEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null | ((event: never) => unknown), options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
    if (this.#names.has(type) || OWN_EVENTS.includes(type)) return;
    this.#names.add(type);
    this.#tabs?.listen(type);
    this.#own?.listen(type);
  }

  /** Stops this tab's listening. With `share`, the connection moves to another tab that still listens. */
  close(): void {
    this.#own?.close();
    this.#own = undefined;
    this.#tabs?.close();
    this.#tabs = undefined;
    this.#enter('closed', 2);
  }

  #lead(relay: (note: Note) => void): Leading {
    const settings = this.#settings;
    const dial = settings.transport === 'fetch' ? fetchDial(settings) : nativeDial(settings);
    const connector = new Connector(settings, dial, this.lastEventId, relay);
    for (const type of this.#names) connector.listen(type);
    return connector;
  }

  #on(type: string, handler: Handler<Event>): void {
    if (!(type in this.#handlers)) this.addEventListener(type, (event: Event) => this.#handlers[type]?.call(this, event));
    this.#handlers[type] = handler;
  }

  #enter(state: StreamState, readyState: 0 | 1 | 2): void {
    this.#readyState = readyState;
    if (state === this.#state) return;
    this.#state = state;
    this.dispatchEvent(new Event('statechange'));
  }

  #apply(note: Note): void {
    if (this.#readyState === 2) return;
    switch (note.k) {
      case 'connecting':
        return this.#enter('connecting', 0);
      case 'wait':
        return this.#enter('waiting', 0);
      case 'open':
        this.#enter('open', 1);
        return void this.dispatchEvent(new Event('open'));
      case 'error':
        if (note.next === 'stop') this.close();
        else this.#enter(note.next === 'retry' ? 'retrying' : note.next === 'wait' ? 'waiting' : 'connecting', 0);
        return void this.dispatchEvent(new StreamErrorEvent(note.status, note.retryMs));
      case 'message':
        return this.#message(note);
    }
  }

  #message({ type, data, id, last }: Extract<Note, { k: 'message' }>): void {
    if (id !== undefined) {
      // Shared tabs may hear an id twice around a handover (the new leader resumes from its own last id).
      if (this.#tabs) {
        if (this.#seen.has(id)) return;
        this.#seen.add(id);
        if (this.#seen.size > REMEMBERED) this.#seen.delete(this.#seen.values().next().value as string);
      }
      this.#lastEventId = id;
      this.#storage?.setItem(this.#storageKey, id);
    }
    if (type === CLOSE_EVENT) {
      // Signed out (or told to stop): close first, so a listener sees readyState CLOSED.
      this.close();
      return void this.dispatchEvent(new CustomEvent('close', { detail: notice(data) }));
    }
    if (type === BUSY_EVENT || type === RESET_EVENT) {
      // After a reset the server's ids may start over: what was seen says nothing any more.
      if (type === RESET_EVENT) this.#seen.clear();
      this.dispatchEvent(new CustomEvent(type === BUSY_EVENT ? 'busy' : 'reset', { detail: notice(data) }));
      if (type === BUSY_EVENT) return;
    }
    this.dispatchEvent(new MessageEvent(type, { data, lastEventId: last, origin: new URL(this.url).origin }));
  }
}

/** The Storage the settings name; none where reading it throws (a sandboxed frame, storage disabled). */
function storageOf({ storage }: Settings): Storage | undefined {
  try {
    return storage === 'local' ? localStorage : storage === 'session' ? sessionStorage : undefined;
  } catch {
    return undefined;
  }
}

function notice(data: string): ServerNotice {
  try {
    const parsed = JSON.parse(data) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as ServerNotice).reason === 'string') return parsed as ServerNotice;
  } catch {
    // not JSON: the text is the reason
  }
  return { reason: data };
}
