import type { SseRequest } from './node-http.ts';

/**
 * The client's last id: the `Last-Event-ID` header (a reconnect), else a `lastEventId` query
 * parameter (a first connect from a stored id). Never throws, whatever the request line holds: a
 * query that cannot be read means no id.
 */
export function lastEventIdOf(req: SseRequest): string | undefined {
  // Read from the raw header list: `req.headers` builds an object of every header on first use,
  // which a stream otherwise never needs (measurable per connection under churn).
  // (A request object without a raw list, from a wrapper or a test double, is read the usual way.)
  const raw = req.rawHeaders as string[] | undefined;
  if (raw === undefined) {
    const header: unknown = req.headers['last-event-id'];
    if (typeof header === 'string' && header !== '') return headerText(header);
  } else {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      if (name.length === LAST_EVENT_ID.length && name.toLowerCase() === LAST_EVENT_ID) {
        const value = raw[i + 1] as string;
        if (value !== '') return headerText(value);
      }
    }
  }
  return queryLastEventId(req.url);
}

const LAST_EVENT_ID = 'last-event-id';

/**
 * A header value as the client meant it. Browsers send `Last-Event-ID` as UTF-8 and node hands
 * header values over as latin1 (one char per byte): re-read those bytes as UTF-8.
 */
function headerText(value: string): string {
  // Only a string of bytes (every char ≤ 0xFF) is re-read; one with wider chars was decoded already.
  // eslint-disable-next-line no-control-regex
  return /[\x80-\xff]/.test(value) && !/[^\x00-\xff]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}

/**
 * `lastEventId` from the part of a request target after `?`. Only that part is parsed, with
 * URLSearchParams (which never throws): an absolute-form target (`http://x:99999/…`) or a path
 * `new URL` refuses (`//x:99999/`) still has its query read, or none.
 */
export function queryLastEventId(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const q = url.indexOf('?');
  if (q === -1 || !url.includes('lastEventId=', q)) return undefined;
  const hash = url.indexOf('#', q);
  try {
    return new URLSearchParams(url.slice(q + 1, hash === -1 ? undefined : hash)).get('lastEventId') ?? undefined;
  } catch {
    return undefined;
  }
}
