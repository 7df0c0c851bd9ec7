import Koa from 'koa';
import { createSystem, sse } from 'sse-actors';

// Who is in each room: one join on a user's first tab, one leave when their last tab is gone.
export const system = createSystem({ topics: ['room.*'], presence: { topics: ['room.*'], events: true } });

export const app = new Koa();
app.use(sse(system));
app.use(async (ctx, next) => {
  if (ctx.path !== '/who') return next();
  ctx.body = await system.presence(`room.${String(ctx.query.room)}`); // [{ id, info, connections }]
});
app.use((ctx) => {
  const user = { id: ctx.get('x-user-id'), info: { name: ctx.get('x-user-name') } }; // your session here
  ctx.sse(`room.${String(ctx.query.room)}`, undefined, { user }); // subscribers get `event: presence`
});

/** Ends every stream of theirs (on every node), and tells the browser not to come back. */
export function signOut(userId: string): Promise<number> {
  return system.disconnect({ user: userId, reconnect: false });
}
