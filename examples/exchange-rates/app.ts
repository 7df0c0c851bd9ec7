import { readFileSync } from 'node:fs';
import Koa from 'koa';
import { Router } from '@koa/router';
import type { InspectionEvent } from 'xstate';
import { createSystem, dashboard, metrics, sse, type Clock, type SseSystem } from 'sse-actors';
import { createTicker, type RandomSource, type Rates, type Ticker } from './ticker.ts';
import { bundleClient } from '../../scripts/client-bundle.ts';

/** The seed's topic: one event per change of the pair. */
export const TOPIC = 'usd_eur_pair_updated';
export const STREAM_PATH = '/exchange_rates/usd_eur';
/** The live dashboard of the demo's actors (its feed is `${DASHBOARD_PATH}/events`). */
export const DASHBOARD_PATH = '/_sse';
/** Prometheus metrics of the demo's system. */
export const METRICS_PATH = '/metrics';
/** The browser client the page imports (sse-actors/client, bundled from src/client/ on first request). */
export const CLIENT_PATH = '/sse-actors-client.js';

/**
 * `router`: routes with @koa/router, as the seed's Phoenix usage did with a Phoenix router.
 * `plain`: dispatches on `ctx.path` in plain Koa, as the seed's standalone Plug usage did.
 */
export type Variant = 'router' | 'plain';

export interface ExchangeRatesAppOptions {
  /** @default 'router' */
  variant?: Variant;
  /** Ticker refresh interval in ms. @default 1000 */
  tickMs?: number;
  /** Largest EUR move per tick (see ticker.ts). */
  step?: number;
  random?: RandomSource;
  initial?: Rates;
  /** Passed to `createSystem`; unset = the library default (env `SSE_KEEP_ALIVE_IN_MS`, else 1000). */
  keepAlive?: number;
  /** xstate inspection observer for the system's actors and the ticker. */
  inspect?: (event: InspectionEvent) => void;
  /** One clock for the system and the ticker (tests pass a `SimulatedClock`). */
  clock?: Clock;
}

export interface ExchangeRatesApp {
  app: Koa;
  system: SseSystem;
  ticker: Ticker;
  /** Stops the ticker, then the system (which ends every open stream). Does not close the HTTP server. */
  stop(): Promise<void>;
}

// Read once: the page is small and never changes while the demo runs.
const indexHtml = readFileSync(new URL('./index.html', import.meta.url), 'utf8');

const rateChunk = (rates: Rates) => ({ data: JSON.stringify({ rates }) });

function serveIndex(ctx: Koa.Context): void {
  ctx.type = 'html';
  ctx.body = indexHtml;
}

// The demo runs from source (`npm start`), so the page gets the client bundled from source too.
let clientBundle: Promise<string> | undefined;

async function serveClient(ctx: Koa.Context): Promise<void> {
  ctx.type = 'text/javascript';
  ctx.body = await (clientBundle ??= bundleClient());
}

function streamRates(ticker: Ticker) {
  return (ctx: Koa.Context): void => {
    ctx.set('Access-Control-Allow-Origin', '*');
    // Subscribing is synchronous, so no change can fall between this first chunk and the live events.
    ctx.sse([TOPIC], rateChunk(ticker.current()));
  };
}

function mountRoutes(app: Koa, variant: Variant, ticker: Ticker): void {
  const stream = streamRates(ticker);
  if (variant === 'router') {
    const router = new Router();
    router.get('/', serveIndex);
    router.get(CLIENT_PATH, serveClient);
    router.get(STREAM_PATH, stream);
    app.use(router.routes()).use(router.allowedMethods());
    return;
  }
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/') return serveIndex(ctx);
    if (ctx.method === 'GET' && ctx.path === CLIENT_PATH) return serveClient(ctx);
    if (ctx.method === 'GET' && ctx.path === STREAM_PATH) return stream(ctx);
    await next();
  });
}

/** The exchange-rate demo: a ticker publishing to an sse-actors system, served by Koa. */
export function createExchangeRatesApp(options: ExchangeRatesAppOptions = {}): ExchangeRatesApp {
  const { variant = 'router', tickMs, step, random, initial, keepAlive, inspect, clock } = options;
  const system = createSystem({
    topics: [TOPIC],
    ...(keepAlive !== undefined ? { keepAlive } : {}),
    ...(inspect ? { inspect } : {}),
    ...(clock ? { clock } : {}),
  });
  const ticker = createTicker({
    ...(tickMs !== undefined ? { intervalMs: tickMs } : {}),
    ...(step !== undefined ? { step } : {}),
    ...(random ? { random } : {}),
    ...(initial ? { initial } : {}),
    ...(inspect ? { inspect } : {}),
    ...(clock ? { clock } : {}),
    // The change counter is the event id: ids grow with the stream, as a browser's Last-Event-ID expects.
    onChange: ({ rates, version }) => {
      if (!system.stopped) system.notify({ id: version, topic: TOPIC, data: rateChunk(rates) });
    },
  });

  const app = new Koa();
  // Without `authorize` the dashboard answers loopback clients only (http://localhost:3000/_sse);
  // in production pass `authorize` to dashboard() and keep /metrics on an internal port.
  app.use(dashboard(system, { path: DASHBOARD_PATH }));
  app.use(metrics(system, { path: METRICS_PATH }));
  app.use(sse(system));
  mountRoutes(app, variant, ticker);

  let stopping: Promise<void> | undefined;
  return {
    app,
    system,
    ticker,
    stop() {
      // Ticker first: a notify after system.stop() throws SystemStoppedError.
      stopping ??= (async () => {
        ticker.stop();
        await system.stop();
      })();
      return stopping;
    },
  };
}
