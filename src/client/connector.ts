import { backoffDelay, STOP_STATUSES, type Settings } from './options.ts';
import { BUSY_EVENT, type Dial, type Link } from './transports.ts';

/**
 * The reconnect loop of one stream: dials, tracks the last event id and the server's `retry:`,
 * waits with full-jitter backoff, and waits for `online` / `visibilitychange` instead of retrying
 * while the page is offline or hidden. Everything it does is a {@link Note}: the owning tab
 * applies it, and a shared leader relays it to the other tabs as it is.
 */

/** What happens next after an error: reconnect on a timer, wait for the page, stop, or nothing (the native transport reconnects itself). */
export type Next = 'retry' | 'wait' | 'stop' | 'again';

/** One thing that happened to the stream. Plain data: it crosses BroadcastChannel. */
export type Note =
  | { k: 'connecting' }
  | { k: 'open' }
  | { k: 'wait' }
  | { k: 'message'; type: string; data: string; id: string | undefined; last: string }
  | { k: 'error'; next: Next; status: number | undefined; retryMs: number | undefined };

type Page = { navigator?: { onLine?: boolean }; document?: EventTarget & { hidden?: boolean }; addEventListener?: EventTarget['addEventListener']; removeEventListener?: EventTarget['removeEventListener'] };
const page = globalThis as Page;

/** Online and visible (true where there is no page, as in Node). */
export function awake(): boolean {
  return page.navigator?.onLine !== false && page.document?.hidden !== true;
}

/** Calls `wake` on `online` and when the page becomes visible; returns what removes both listeners. */
export function onWake(wake: () => void): () => void {
  const visible = () => awake() && wake();
  page.addEventListener?.('online', visible);
  page.document?.addEventListener('visibilitychange', visible);
  return () => {
    page.removeEventListener?.('online', visible);
    page.document?.removeEventListener('visibilitychange', visible);
  };
}

export class Connector {
  readonly #settings: Settings;
  readonly #dial: Dial;
  readonly #emit: (note: Note) => void;
  readonly #unwake: () => void;
  #last: string | undefined;
  #failures = 0;
  #floor = 0;
  #link: Link | undefined;
  /** Event names listened for in any tab: each new link listens for them too. */
  readonly #types = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiting = false;
  #closed = false;
  /** Another tab said it is online and visible: retry on the timer even while this one is hidden. */
  #othersAwake = false;

  constructor(settings: Settings, dial: Dial, lastId: string | undefined, emit: (note: Note) => void) {
    this.#settings = settings;
    this.#dial = dial;
    this.#last = lastId;
    this.#emit = emit;
    this.#unwake = onWake(() => this.wake(false));
    this.#connect();
  }

  /** The page (or, with `others`, another tab) is awake again: reconnect now if waiting for that. */
  wake(others: boolean): void {
    this.#othersAwake ||= others;
    if (this.#waiting && !this.#closed) this.#connect();
  }

  listen(type: string): void {
    this.#types.add(type);
    this.#link?.listen(type);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#link?.close();
    this.#link = undefined;
    this.#unwake();
  }

  #connect(): void {
    this.#waiting = false;
    this.#timer = undefined;
    if (!awake() && !this.#othersAwake) return this.#wait({ k: 'wait' });
    this.#emit({ k: 'connecting' });
    this.#link = this.#dial(this.#settings.url, this.#last, {
      open: () => this.#emit({ k: 'open' }),
      event: (type, data, id) => {
        if (id !== undefined) this.#last = id;
        // A stream that delivers is a success: the next failure starts the backoff over.
        if (type !== BUSY_EVENT) this.#failures = 0;
        this.#emit({ k: 'message', type, data, id, last: this.#last ?? '' });
      },
      retry: (ms) => (this.#floor = ms),
      drop: () => this.#emit({ k: 'error', next: 'again', status: undefined, retryMs: undefined }),
      end: (status) => this.#end(status),
    });
    for (const type of this.#types) this.#link.listen(type);
  }

  #end(status: number | undefined): void {
    this.#link = undefined;
    if (this.#closed) return;
    if (status !== undefined && STOP_STATUSES.includes(status)) {
      this.close();
      return this.#emit({ k: 'error', next: 'stop', status, retryMs: undefined });
    }
    this.#failures++;
    if (!awake() && !this.#othersAwake) return this.#wait({ k: 'error', next: 'wait', status, retryMs: undefined });
    const retryMs = backoffDelay(this.#failures, this.#settings, this.#floor);
    this.#timer = setTimeout(() => this.#connect(), retryMs);
    this.#emit({ k: 'error', next: 'retry', status, retryMs });
  }

  #wait(note: Note): void {
    this.#waiting = true;
    this.#emit(note);
  }
}
