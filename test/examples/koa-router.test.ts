import test from 'ava';
// The built package, as the example imports it: one copy of the library (and of its error classes) per test.
import { createSystem } from 'sse-actors';
import { createKoaRouterApp, TOPICS } from '../../examples/koa-router/server.ts';
import { get } from '../helpers/sse-client.ts';
import { listenExample, streamsInitialThenEvent } from '../helpers/example-stream.ts';

test('@koa/router example: initial chunk, then a notified event, exact bytes; an unknown pair is 400', async (t) => {
  const system = createSystem({ topics: TOPICS, keepAlive: 0 });
  const app = createKoaRouterApp(system);
  app.silent = true;
  const base = await listenExample(t, system, app.listen(0, '127.0.0.1'));
  await streamsInitialThenEvent(t, system, `${base}/exchange_rates/usd_gbp`, {
    initial: 'data: {"pair":"usd_gbp"}\n\n',
    topic: 'usd_gbp_pair_updated',
  });
  const unknown = await get(`${base}/exchange_rates/btc_usd`);
  t.is(unknown.status, 400);
  t.regex(unknown.body, /btc_usd_pair_updated/);
  t.is((await get(`${base}/nowhere`)).status, 404);
});
