import Koa from 'koa';
import { SignJWT } from 'jose';
import { createSystem, jwtAuthorize, sse } from 'sse-actors';

// One secret shared by whoever issues tokens and this server (or `jwks: new URL(...)` for an auth server's keys).
const secret = new TextEncoder().encode(process.env.SSE_JWT_SECRET ?? 'dev-only-secret-change-me-32-bytes!!');
export const system = createSystem({ topics: ['room.*'] });
export const app = new Koa();

/** What your login (or a refresh your page calls before `exp`) puts in the cookie: who, which rooms, 15 minutes. */
export function issueToken(userId: string, rooms: string[]): Promise<string> {
  const subscribe = rooms.map((room) => `room.${room}`);
  return new SignJWT({ sse: { subscribe } }).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setExpirationTime('15m').sign(secret);
}

app.use(async (ctx, next) => {
  if (ctx.path !== '/sse-token') return next();
  const userId = ctx.get('x-user-id'); // your session check here
  const token = await issueToken(userId, ['lobby', userId]);
  ctx.cookies.set('sse_token', token, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, maxAge: 15 * 60_000 });
  ctx.status = 204;
});
// The token from `Authorization: Bearer …` or the `sse_token` cookie; its claim decides the topics.
app.use(sse(system, { authorize: jwtAuthorize({ key: secret, algorithms: ['HS256'] }) }));
app.use((ctx) => ctx.sse(String(ctx.query.room ?? 'lobby').split(',').map((room) => `room.${room}`)));
