import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware, ParameterizedContext } from 'koa';
import type { SseSystem } from '../adapters/create-system.ts';
import { sse, type Authorize } from '../adapters/koa.ts';
import { answerText } from '../adapters/answer.ts';
import { isLoopbackAddress } from '../adapters/loopback.ts';
import { DashboardFeed, DASHBOARD_TOPIC } from './dashboard-feed.ts';
import { dashboardPage } from './dashboard-page.ts';

/**
 * Options of {@link dashboard} and {@link dashboardHandler}.
 * @example
 * ```ts
 * app.use(dashboard(system, { path: '/admin/sse', intervalMs: 2000, rows: 50 }));
 * ```
 */
export interface DashboardOptions<A = Authorize> {
  /** Where the page is served; its feed is `${path}/events`. @default '/_sse' */
  path?: string;
  /**
   * Guards the page and its feed, as `sse({ authorize })` guards streams: called with the request
   * and `['sse-actors.dashboard']`; anything but `true` answers 403. Without it, only loopback
   * clients (by the socket's address: `127.0.0.0/8`, `::1`, `::ffff:127.x.y.z`; never by
   * `X-Forwarded-For`, and not when a `Forwarded`, `X-Forwarded-For` or `X-Real-IP` header says a
   * proxy passed the request on) see the dashboard, and others get 403 {@link DASHBOARD_LOCKED}: the page
   * shows user ids and info, topics and addresses of the system's actors.
   * @default undefined (loopback clients only)
   */
  authorize?: A;
  /** How often, at most, the watched system is snapshot while someone watches. @default 1000 */
  intervalMs?: number;
  /** Connections listed on the page (unusual ones first); the rest are counted by state. @default 200 */
  rows?: number;
}

/**
 * `authorize` of {@link dashboardHandler}: the plain `node:http` request instead of a Koa context.
 * @example
 * ```ts
 * const handle = dashboardHandler(system, { authorize: (req) => req.headers.authorization === `Bearer ${process.env.ADMIN_TOKEN}` });
 * ```
 */
export type AuthorizeRequest = (req: IncomingMessage, topics: readonly string[]) => boolean | Promise<boolean>;

/**
 * A plain `node:http` handler: true when it handled (or is handling) the request.
 * @example
 * ```ts
 * const handle = dashboardHandler(system); // a DashboardHandler
 * server.on('request', (req, res) => {
 *   if (!handle(req, res)) res.writeHead(404).end();
 * });
 * ```
 */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The defaults of {@link DashboardOptions}.
 * @example
 * ```ts
 * app.use(dashboard(system, { intervalMs: DEFAULT_DASHBOARD.intervalMs * 5 })); // a snapshot every 5 s at most
 * ```
 */
export const DEFAULT_DASHBOARD = { path: '/_sse', intervalMs: 1000, rows: 200 } as const;

type Route = 'page' | 'events';

function setup<A>(system: SseSystem<void | Promise<void>>, options: DashboardOptions<A>) {
  const path = (options.path ?? DEFAULT_DASHBOARD.path).replace(/\/+$/, '') || '/';
  const events = `${path === '/' ? '' : path}/events`;
  const intervalMs = options.intervalMs ?? DEFAULT_DASHBOARD.intervalMs;
  const rows = options.rows ?? DEFAULT_DASHBOARD.rows;
  if (!(Number.isInteger(intervalMs) && intervalMs > 0)) throw new TypeError(`dashboard intervalMs must be a positive integer of ms, got ${String(intervalMs)}`);
  if (!(Number.isInteger(rows) && rows >= 0)) throw new TypeError(`dashboard rows must be a non-negative integer, got ${String(rows)}`);
  const feed = new DashboardFeed(system, { intervalMs, rows });
  const html = dashboardPage(events);
  const route = (method: string | undefined, pathname: string): Route | undefined => {
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    return pathname === path ? 'page' : pathname === events ? 'events' : undefined;
  };
  return { feed, html, route };
}

const TOPICS: readonly string[] = [DASHBOARD_TOPIC];

/**
 * A request from this machine: its socket's peer is loopback, and it did not come through a proxy
 * that said so (a reverse proxy on this machine makes every remote client's socket loopback). The
 * forwarding headers can only refuse, never grant: a client may write them.
 */
function isLocalRequest(req: IncomingMessage): boolean {
  const { headers } = req;
  if (headers.forwarded !== undefined || headers['x-forwarded-for'] !== undefined || headers['x-real-ip'] !== undefined) return false;
  return isLoopbackAddress(req.socket?.remoteAddress);
}

/**
 * What a client that is not on loopback gets (403, plain text) from a dashboard without `authorize`.
 * @example
 * ```ts
 * const answer = await fetch('http://sse.example.com/_sse');
 * console.log(answer.status, (await answer.text()) === DASHBOARD_LOCKED); // 403 true
 * ```
 */
export const DASHBOARD_LOCKED =
  'The sse-actors dashboard is served only to loopback clients (127.0.0.1, ::1) unless it is given authorize: ' +
  'dashboard(system, { authorize: (ctx) => isAdmin(ctx) }) or dashboardHandler(system, { authorize: (req) => isAdmin(req) }). See docs/security.md.';
const PAGE_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } as const;

/**
 * Koa middleware serving a live dashboard of `system` at `path` (one self-contained page: works
 * offline) and its SSE feed at `${path}/events`. The feed is served by `ctx.sse` of a small system
 * of the dashboard's own, fed by a timer that snapshots `system` at most once per `intervalMs`
 * and only while a page is open; nothing runs while nobody watches, or once `system` stopped.
 * Without `authorize` it answers loopback clients only (see {@link DashboardOptions.authorize}).
 * @example
 * ```ts
 * app.use(dashboard(system, { authorize: (ctx) => ctx.get('X-Admin-Token') === process.env.ADMIN_TOKEN }));
 * // open http://localhost:3000/_sse; its feed is /_sse/events
 * ```
 */
export function dashboard(system: SseSystem<void | Promise<void>>, options: DashboardOptions = {}): Middleware {
  const { feed, html, route } = setup(system, options);
  const { authorize } = options;
  let streams: { system: SseSystem; middleware: Middleware } | undefined;
  return async function dashboardMiddleware(ctx: ParameterizedContext, next) {
    const which = route(ctx.method, ctx.path);
    if (!which) return next();
    if (!authorize && !isLocalRequest(ctx.req)) {
      ctx.status = 403;
      ctx.body = DASHBOARD_LOCKED;
      return;
    }
    if (authorize && (await authorize(ctx, TOPICS)) !== true) {
      ctx.status = 403;
      ctx.body = 'Forbidden';
      return;
    }
    if (which === 'page') {
      ctx.set(PAGE_HEADERS);
      ctx.body = html;
      return;
    }
    if (!feed.available) {
      ctx.status = 503;
      ctx.body = 'The system is stopped';
      return;
    }
    // Dogfood: the feed is an ordinary stream of the dashboard's own system.
    const viewers = feed.viewers();
    if (streams?.system !== viewers) streams = { system: viewers, middleware: sse(viewers) };
    await streams.middleware(ctx, () => ctx.sse(TOPICS, feed.initial()));
  };
}

/**
 * The plain `node:http` variant of {@link dashboard}: returns a handler that answers the page and
 * its feed and returns true, or returns false for any other request (for the caller to answer).
 * @example
 * ```ts
 * const showDashboard = dashboardHandler(system, { path: '/_sse' });
 * http.createServer((req, res) => {
 *   if (showDashboard(req, res)) return;
 *   system.stream(req, res, 'news');
 * }).listen(3000);
 * ```
 */
export function dashboardHandler(system: SseSystem<void | Promise<void>>, options: DashboardOptions<AuthorizeRequest> = {}): DashboardHandler {
  const { feed, html, route } = setup(system, options);
  const { authorize } = options;
  const plain = answerText;
  const serve = (req: IncomingMessage, res: ServerResponse, which: Route) => {
    if (which === 'page') {
      res.writeHead(200, { ...PAGE_HEADERS, 'Content-Length': String(Buffer.byteLength(html)) });
      res.end(req.method === 'HEAD' ? undefined : html);
    } else if (!feed.available) plain(res, 503, 'The system is stopped');
    else feed.viewers().stream(req, res, TOPICS, feed.initial());
  };
  return (req, res) => {
    // The path as sent (before `?`): `new URL()` throws on targets a client may send (`//x:99999/`).
    const which = route(req.method, (req.url ?? '/').split('?')[0] as string);
    if (!which) return false;
    if (!authorize) {
      if (isLocalRequest(req)) serve(req, res, which);
      else plain(res, 403, DASHBOARD_LOCKED);
      return true;
    }
    Promise.resolve()
      .then(() => authorize(req, TOPICS))
      .then((verdict) => {
        if (res.destroyed) return;
        if (verdict === true) serve(req, res, which);
        else plain(res, 403, 'Forbidden');
      })
      .catch((error: unknown) => {
        console.error('[sse-actors] the dashboard failed to answer:', error);
        if (!res.headersSent) plain(res, 500, 'Internal Server Error');
        else res.destroy();
      });
    return true;
  };
}
