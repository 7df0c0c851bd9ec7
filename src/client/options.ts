/**
 * The options of `new EventStream(url, init)`, their defaults (here and nowhere else), and the
 * backoff arithmetic. Pure: no timers, no DOM.
 */

/**
 * How long to wait before a reconnect: full jitter, a random wait between `minMs` and a ceiling
 * that doubles with each failure in a row, up to `maxMs`. A server's `retry:` is the floor.
 * @example
 * ```ts
 * new EventStream('/news', { backoff: { minMs: 500, maxMs: 10_000 } });
 * ```
 */
export interface Backoff {
  /**
   * The shortest wait before a reconnect, in ms.
   * @default 1000
   */
  minMs?: number;
  /**
   * The longest wait, in ms, however many failures came in a row.
   * @default 30000
   */
  maxMs?: number;
}

/** `fetch` streams the response body (headers, credentials); `eventsource` is the browser's own. */
export type TransportName = 'auto' | 'fetch' | 'eventsource';

/** Where the last event id is kept across page reloads: `sessionStorage`, `localStorage`, or nowhere. */
export type StorageName = 'session' | 'local' | false;

/**
 * The second argument of `new EventStream(url, init)`: EventSource's `{ withCredentials }`, and more.
 * @example
 * ```ts
 * const stream = new EventStream('/orders', {
 *   headers: { Authorization: `Bearer ${token}` }, // so the fetch transport is used
 *   backoff: { minMs: 1000, maxMs: 30_000 },
 * });
 * ```
 */
export interface EventStreamInit {
  /**
   * As EventSource's: send cookies cross-origin. With the fetch transport this is
   * `credentials: 'include'`.
   * @default false
   */
  withCredentials?: boolean;
  /**
   * Share one connection among the tabs of this origin that open the same URL with the same
   * options: one tab (the leader, elected through Web Locks) holds the stream and relays it to the
   * others over BroadcastChannel.
   * @default true where `navigator.locks` and `BroadcastChannel` exist, false elsewhere
   */
  share?: boolean;
  /**
   * Keep the last event id in `sessionStorage` (`'session'`) or `localStorage` (`'local'`), so a
   * reloaded page resumes where it was; `false` keeps it in memory only.
   * @default 'session' (where sessionStorage exists)
   */
  storage?: StorageName;
  /**
   * Headers sent with every request. Only the fetch transport can send them, so `auto` picks it
   * when there are any.
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * `fetch`'s credentials mode (fetch transport only).
   * @default 'include' with `withCredentials`, else 'same-origin'
   */
  credentials?: RequestCredentials;
  /**
   * `fetch` (streams the body, parsed with eventsource-parser), `eventsource` (the browser's own),
   * or `auto`: the browser's own unless `headers` are given or there is none (Node).
   * @default 'auto'
   */
  transport?: TransportName;
  /**
   * The reconnect waits after a network error, a 5xx or a stream that ended.
   * @default { minMs: 1000, maxMs: 30000 }
   */
  backoff?: Backoff;
}

/** Every option resolved: what the rest of the client reads. */
export interface Settings {
  url: string;
  withCredentials: boolean;
  share: boolean;
  storage: StorageName;
  headers: Record<string, string>;
  credentials: RequestCredentials;
  transport: 'fetch' | 'eventsource';
  minMs: number;
  maxMs: number;
}

/** Answers that mean "do not come back": the client stops and fires `error` with the status. */
export const STOP_STATUSES: readonly number[] = [204, 400, 401, 403, 404];

/** The defaults of {@link EventStreamInit}, resolved against what this runtime has. */
export function settle(url: string | URL, init: EventStreamInit = {}): Settings {
  const g = globalThis as { navigator?: { locks?: unknown }; BroadcastChannel?: unknown; EventSource?: unknown; location?: { href: string }; sessionStorage?: unknown };
  const headers = init.headers ?? {};
  const withCredentials = init.withCredentials ?? false;
  const wanted = init.transport ?? 'auto';
  const native = wanted === 'eventsource' || (wanted === 'auto' && Object.keys(headers).length === 0 && typeof g.EventSource === 'function');
  return {
    url: new URL(url, g.location?.href).href,
    withCredentials,
    share: init.share ?? (g.navigator?.locks !== undefined && typeof g.BroadcastChannel === 'function'),
    storage: init.storage ?? (g.sessionStorage ? 'session' : false),
    headers,
    credentials: init.credentials ?? (withCredentials ? 'include' : 'same-origin'),
    transport: native ? 'eventsource' : 'fetch',
    minMs: init.backoff?.minMs ?? 1000,
    maxMs: init.backoff?.maxMs ?? 30_000,
  };
}

/**
 * The wait before reconnect number `failures` (1 for the first): uniform between `lo` and `hi`,
 * where `lo` is `minMs` or the server's `retry:` (`floor`) if that is longer, and `hi` is
 * `min(maxMs, minMs · 2^failures)`, or `lo` if that is longer.
 */
export function backoffDelay(failures: number, settings: Pick<Settings, 'minMs' | 'maxMs'>, floor: number, random: () => number = Math.random): number {
  const { minMs, maxMs } = settings;
  const lo = Math.max(minMs, floor);
  const hi = Math.max(lo, Math.min(maxMs, minMs * 2 ** failures));
  return Math.round(lo + random() * (hi - lo));
}
