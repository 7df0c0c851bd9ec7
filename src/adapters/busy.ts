import { busyFrame } from '../protocol/control.ts';
import { SystemStoppedError, TooManyConnectionsError } from '../system/errors.ts';
import type { Admission, BusyAnswer } from '../system/types.ts';
import { answerText } from './answer.ts';
import { sseHeaders, type SseRequest, type SseResponse } from './node-http.ts';

/**
 * Answers for a request that cannot stream right now (full, stopping, authorize timed out). An
 * EventSource stops for good on anything but `200 text/event-stream`, so it gets `200`, the busy
 * frame (a jittered `retry:`, `event: sse-busy`, the reason) and the end: the browser comes back by
 * itself. Any other request gets `503` + `Retry-After` (answer.ts). One module for all three adapters.
 */

const EVENT_STREAM = /(?:^|,)\s*text\/event-stream\s*(?:[;,]|$)/i;

/** True when an `Accept` value lists `text/event-stream` (what an EventSource sends). */
export function acceptsEventStreamValue(accept: string | null | undefined): boolean {
  return typeof accept === 'string' && EVENT_STREAM.test(accept);
}

/** True when the request accepts `text/event-stream` (read from the raw list: no header object built). */
export function acceptsEventStream(req: SseRequest): boolean {
  if (req.method === 'HEAD') return false;
  const raw = req.rawHeaders as string[] | undefined;
  if (raw === undefined) return acceptsEventStreamValue(req.headers.accept);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 6 && name.toLowerCase() === 'accept' && acceptsEventStreamValue(raw[i + 1])) return true;
  }
  return false;
}

/** The busy answer a refusal carries: set by the system only for a request admitted as an EventSource. */
export function busyOf(error: unknown): BusyAnswer | undefined {
  return error instanceof TooManyConnectionsError || error instanceof SystemStoppedError ? error.busy : undefined;
}

/** The busy answer's headers: a stream's, and `Connection: close` on HTTP/1.x so the retry may reach another process. */
function busyHeaders(httpVersionMajor: number): Record<string, string> {
  return httpVersionMajor < 2 ? { ...sseHeaders(2), Connection: 'close' } : { ...sseHeaders(2) };
}

/** `200 text/event-stream`, `retry:`, `event: sse-busy`, the reason, then the end. Never throws. */
export function answerBusy(req: SseRequest, res: SseResponse, busy: BusyAnswer): void {
  const body = busyFrame(busy.reason, busy.retryMs).bytes;
  const out = res as unknown as { headersSent: boolean; writeHead(status: number, headers: Record<string, string>): unknown; end(body?: Buffer): unknown; destroy(): unknown };
  try {
    if (out.headersSent) return void out.end();
    out.writeHead(200, { ...busyHeaders(req.httpVersionMajor), 'Content-Length': String(body.length) });
    out.end(body);
  } catch {
    out.destroy();
  }
}

/** When `error` is a refusal to an EventSource, answers it busy and returns true; otherwise leaves it to the caller. */
export function answeredBusy(req: SseRequest, res: SseResponse, error: unknown): boolean {
  const busy = busyOf(error);
  if (busy === undefined) return false;
  answerBusy(req, res, busy);
  return true;
}

const REVOKED: Record<BusyAnswer['reason'], string> = {
  full: 'Too many SSE connections; retry later',
  stopping: 'The SSE server is stopping; retry later',
  'authorize-timeout': 'Authorizing this stream took too long; retry later',
};

/**
 * Registers who answers `admission` if the system gives it up while it waits (authorize timed out,
 * stop()): busy to an EventSource, `503` + `Retry-After` otherwise. The place is given back once the
 * answer is out (or the client left), so `stop()` waits for it. Returns whether it was revoked.
 */
export function answerOnRevoke(admission: Admission, req: SseRequest, res: SseResponse): () => boolean {
  let revoked = false;
  admission.onRevoke((busy) => {
    revoked = true;
    const done = () => admission.cancel();
    if (res.destroyed || res.writableEnded) return done();
    res.once('close', done);
    res.once('finish', done);
    if (acceptsEventStream(req)) answerBusy(req, res, busy);
    else answerText(res, 503, REVOKED[busy.reason], { 'Retry-After': String(Math.ceil(busy.retryMs / 1000)) });
  });
  return () => revoked;
}
