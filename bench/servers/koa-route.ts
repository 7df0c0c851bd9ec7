// The benchmark contract's routes as a Koa handler, shared by the two sse-actors Koa targets.
import type { ParameterizedContext } from 'koa';
import type { SseSystem } from './sse-actors.ts';
import { OPEN_COMMENT, fanOutDone, payloads, readBody, stats, type Query } from './contract.ts';

export async function route(system: SseSystem, ctx: ParameterizedContext, query: Query): Promise<void> {
  if (ctx.method === 'GET' && query.path === '/sse') {
    ctx.sse([query.topic], { data: [], comment: OPEN_COMMENT });
  } else if (ctx.method === 'POST' && query.path === '/publish') {
    const body = await readBody(ctx.req);
    for (const { seq, data } of payloads(query.count, body)) system.notify({ id: seq, topic: query.topic, data: { data } });
    fanOutDone();
    ctx.body = { published: query.count };
  } else if (ctx.method === 'GET' && query.path === '/stats') {
    ctx.body = stats(system.connectionCount, query.gc);
  }
}
