// Type-checked inside the empty project that installed the tarball, with strict settings and
// skipLibCheck off: the published declarations must compile as a TypeScript user sees them.
import http from 'node:http';
import Koa from 'koa';
import { createSystem, sse, InvalidChunkError, type Chunk, type SseSystem } from 'sse-actors';

const system: SseSystem = createSystem({ topics: ['rates'], keepAlive: 15_000 });
const initial: Chunk = { data: 'hello' };
new Koa().use(sse(system)).use(async (ctx) => {
  const id: string | null = await ctx.sse('rates', initial); // ctx.sse comes from the package's Koa augmentation
  void id;
});
http.createServer((req, res) => system.stream(req, res, ['rates']));
const nothing: void = system.notify({ id: 1, topic: 'rates', data: { data: 'x' } });
void nothing;
void new InvalidChunkError('id', 'x', 'why').field;
