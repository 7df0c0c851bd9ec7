import Koa from 'koa';
import { createSystem, sse } from 'sse-actors';

export const system = createSystem({ topics: ['usd_eur_pair_updated'] });
let rates = { USD: 1, EUR: 0.92 };

export const app = new Koa();
app.use(sse(system)); // adds ctx.sse
app.use((ctx) => {
  if (ctx.path !== '/exchange_rates/usd_eur') return;
  ctx.set('Access-Control-Allow-Origin', '*');
  // First chunk: the current rates; then every event notified on the topic.
  ctx.sse(['usd_eur_pair_updated'], { data: JSON.stringify({ rates }) });
});

export function updateRates(next: typeof rates): void {
  rates = next;
  system.notify({ id: crypto.randomUUID(), topic: 'usd_eur_pair_updated', data: { data: JSON.stringify({ rates }) } });
}
