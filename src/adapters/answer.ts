import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';

/** A response that an adapter answers itself (Koa stepped aside with `ctx.respond = false`, or plain node:http). */
type PlainResponse = Pick<ServerResponse, 'headersSent' | 'end' | 'destroy'> | Http2ServerResponse;

/**
 * The one place that answers a request with plain text (errors, refusals). Never throws: a response
 * that already sent its head is ended; one that cannot take an answer is destroyed.
 */
export function answerText(res: PlainResponse | ServerResponse<IncomingMessage>, status: number, body: string, headers: Record<string, string> = {}): void {
  const out = res as ServerResponse;
  try {
    if (out.headersSent) return void out.end();
    out.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
    out.end(body);
  } catch {
    out.destroy(); // nothing sensible left to say on this socket
  }
}

/** What the client is told about `error`: only an exposed HTTP error (http-errors convention) says more than 500. */
export function httpAnswer(error: unknown): { status: number; message: string; headers: Record<string, string> } {
  const internal = { status: 500, message: 'Internal Server Error', headers: {} };
  if (!(error instanceof Error)) return internal;
  const { status, expose, headers } = error as { status?: unknown; expose?: unknown; headers?: unknown };
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599 || expose !== true) return internal;
  return { status, message: String(error.message), headers: safeHeaders(headers) };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Node refuses anything else in a header value; CR, LF and NUL would split the response.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Set by `answerText` itself; an error's own would make the response ambiguous. */
const RESERVED = new Set(['content-type', 'content-length', 'transfer-encoding', 'connection']);

/** An error's `headers` when every name is a token and every value safe; otherwise none of them. */
function safeHeaders(headers: unknown): Record<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return {};
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    const value = typeof raw === 'number' ? String(raw) : raw;
    if (!TOKEN.test(name) || typeof value !== 'string' || !FIELD_VALUE.test(value)) return {};
    if (!RESERVED.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/** Answers `error` as {@link httpAnswer} says. Never throws. */
export function answerError(res: PlainResponse, error: unknown): void {
  const { status, message, headers } = httpAnswer(error);
  answerText(res, status, message, headers);
}
