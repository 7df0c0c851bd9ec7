import Koa from 'koa';
import { createSystem, sse } from 'sse-actors';

// One topic per user, made on first use and reclaimed once nobody listens and its history expired.
export const system = createSystem({ topics: ['news', 'user.*'] });

export const app = new Koa();
app.use(async (ctx, next) => {
  ctx.state.userId = ctx.get('x-user-id'); // your session or token check here
  await next();
});
// Only one's own topic (and the public news): `user.*` itself, or someone else's, answers 403.
app.use(sse(system, { authorize: (ctx, topics) => topics.every((t) => t === 'news' || t === `user.${ctx.state.userId}`) }));
app.use((ctx) => ctx.sse(['news', `user.${String(ctx.query.user ?? ctx.state.userId)}`]));

export function notifyUser(userId: string, id: string, text: string): void {
  system.notify({ id, topic: `user.${userId}`, data: { data: text } });
}
