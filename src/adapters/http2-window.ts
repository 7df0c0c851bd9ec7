import type { Http2ServerResponse } from 'node:http2';

/** HTTP/2's initial stream window (RFC 9113 §6.9.2), when the peer's settings say nothing else. */
const DEFAULT_WINDOW = 65_535;

/**
 * How many bytes an HTTP/2 response may hold unsent before its client counts as behind, or
 * `undefined` on HTTP/1.x (where `write()` returning false already means the socket is full).
 *
 * On HTTP/2 `write()` returns false as soon as one turn's writes pass the stream's high-water mark
 * (16 KB): nghttp2 only sends them on a later tick, so a burst a fast client takes at once looks
 * like back-pressure (issue 17, finding 4: a reader that kept up was closed after 101 of 2,000
 * events). What a client has not taken yet is what waits beyond its flow-control window: nghttp2
 * sends up to the window without waiting for the client. So the client is behind only while more
 * than that window is queued. Never less than the high-water mark: then `write()` returned false
 * too, and `drain` will come.
 */
export function http2Slack(res: unknown): number | undefined {
  const stream = (res as Partial<Http2ServerResponse>).stream;
  if (stream === undefined) return undefined;
  let window = DEFAULT_WINDOW;
  try {
    window = stream.session?.remoteSettings.initialWindowSize ?? DEFAULT_WINDOW;
  } catch {
    // a session already destroyed has no settings: the default will do for its last write
  }
  return Math.max(window, stream.writableHighWaterMark);
}
