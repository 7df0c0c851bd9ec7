import Koa from 'koa';
import { createSystem, dashboard, metrics, sse } from 'sse-actors';

export const system = createSystem({ topics: ['orders'] });
const adminToken = process.env.ADMIN_TOKEN;

export const app = new Koa();
// The live dashboard at /_sse: one self-contained page (works offline), for operators only.
app.use(dashboard(system, { authorize: (ctx) => adminToken !== undefined && ctx.get('authorization') === `Bearer ${adminToken}` }));
// Prometheus metrics at /metrics (needs `npm install prom-client`).
app.use(metrics(system));
app.use(sse(system));
app.use((ctx) => {
  if (ctx.path === '/orders') ctx.sse(['orders']);
});
