import Koa from 'koa';
import { Router } from '@koa/router';
import { pathToFileURL } from 'node:url';
import { createSystem, sse, type SseSystem } from 'sse-actors';

/** Registered topics: one per currency pair, as `<pair>_pair_updated`. */
export const TOPICS = ['usd_eur_pair_updated', 'usd_gbp_pair_updated'] as const;

/**
 * A Koa app routed by @koa/router: `/exchange_rates/:pair` streams the pair's topic. `sse(system)`
 * adds `ctx.sse` to every context; the router decides which requests become streams.
 */
export function createKoaRouterApp(system: SseSystem): Koa {
  const router = new Router();
  router.get('/exchange_rates/:pair', (ctx) => {
    // An unregistered pair throws UnknownTopicError, which Koa answers with 400 and its message.
    return ctx.sse([`${ctx.params.pair}_pair_updated`], { data: JSON.stringify({ pair: ctx.params.pair }) });
  });
  const app = new Koa();
  app.use(sse(system)).use(router.routes()).use(router.allowedMethods());
  return app;
}

// `node --import tsx examples/koa-router/server.ts`, then `curl -N http://localhost:3000/exchange_rates/usd_eur`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const system = createSystem({ topics: TOPICS });
  const server = createKoaRouterApp(system).listen(Number(process.env.PORT ?? 3000));
  let n = 0;
  const timer = setInterval(() => {
    n++;
    system.notify({ id: n, topic: 'usd_eur_pair_updated', data: { data: JSON.stringify({ USD: 1, EUR: 0.9 + n / 10_000 }) } });
  }, 1000);
  process.once('SIGINT', () => {
    clearInterval(timer);
    void system.stop().then(() => server.close());
  });
}
