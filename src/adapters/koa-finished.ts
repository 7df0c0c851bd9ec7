import type { ParameterizedContext } from 'koa';

type Response = ParameterizedContext['res'];
type Listener = (...args: unknown[]) => void;

/** What on-finished 2.x keeps on a response it watches: one listener with the queue of callbacks. */
interface Watched {
  __onFinished?: ((error?: unknown) => void) & { queue?: unknown };
}

/** The events on-finished 2.x listens to (through ee-first, whose listeners are all named `onevent`). */
const ON_RESPONSE = ['end', 'finish'] as const;
const ON_SOCKET = ['error', 'close'] as const;

/**
 * Koa's `handleRequest` registers `(err) => ctx.onerror(err)` with `on-finished` before any
 * middleware runs, so it is the first callback in the response's queue. That closure keeps the whole
 * context (request, response, state, cookies, parsed URL: ~3.5 KB a stream, docs/decisions.md)
 * alive while the stream is open, only to report a socket error that Koa can no longer answer (the
 * head is sent) and that the stream already handles as the client leaving.
 *
 * When Koa's is the only callback, nobody needs on-finished on this response any more: its four
 * listeners (`end` and `finish` on the response, `error` and `close` on the socket) and the web of
 * closures behind them (~2.5 KB a stream, docs/decisions.md) are taken off, and the response is
 * left unwatched, so that a later `onFinished(res, …)` watches it afresh. When other callbacks wait
 * (loggers, metrics), Koa's alone is swapped for one that holds nothing and they stay. If anything
 * is not shaped as on-finished 2.x makes it, only that swap is made, or nothing.
 */
export function letGoOfContext(res: Response): void {
  const watched = res as Response & Watched;
  const finished = watched.__onFinished;
  const queue = finished?.queue;
  if (!Array.isArray(queue) || typeof queue[0] !== 'function') return;
  const { name } = queue[0] as { name: string };
  if (name !== 'bound runInAsyncScope' && name !== 'onerror') return;
  if (queue.length === 1 && unwatch(res)) {
    (finished as { queue?: unknown }).queue = null;
    watched.__onFinished = undefined;
    return;
  }
  queue[0] = streamFinished;
}

function streamFinished(): void {
  // The stream's own close and error listeners release it.
}

/** Takes on-finished's four listeners off, if exactly one of each is there; false (nothing touched) otherwise. */
function unwatch(res: Response): boolean {
  const socket = res.socket;
  if (!socket) return false;
  const found: Array<[NodeJS.EventEmitter, string, Listener]> = [];
  for (const [emitter, events] of [[res, ON_RESPONSE], [socket, ON_SOCKET]] as const) {
    for (const event of events) {
      const listener = theOnly(emitter.listeners(event) as Listener[]);
      if (listener === undefined) return false;
      found.push([emitter, event, listener]);
    }
  }
  for (const [emitter, event, listener] of found) emitter.removeListener(event, listener);
  return true;
}

/** The one listener named `onevent` among `listeners`, or undefined when there is none or more than one. */
function theOnly(listeners: readonly Listener[]): Listener | undefined {
  let only: Listener | undefined;
  for (const listener of listeners) {
    if (listener.name !== 'onevent') continue;
    if (only !== undefined) return undefined;
    only = listener;
  }
  return only;
}
