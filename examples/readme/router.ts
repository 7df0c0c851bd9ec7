import Koa from 'koa';
import Router from '@koa/router';
import { createSystem, sse } from 'sse-actors';

export const system = createSystem({ topics: ['usd_eur_pair_updated', 'usd_gbp_pair_updated'] });

const router = new Router();
router.get('/exchange_rates/:pair', (ctx) => {
  ctx.set('Access-Control-Allow-Origin', '*');
  // An unregistered topic throws UnknownTopicError, which Koa answers with 400 and its message.
  ctx.sse([`${ctx.params.pair}_pair_updated`], { data: JSON.stringify({ pair: ctx.params.pair }) });
});

export const app = new Koa();
app.use(sse(system)).use(router.routes());
