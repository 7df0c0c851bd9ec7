// Runs inside an empty project that installed the packed tarball and koa: Node's own ESM loader,
// no tsx, no TypeScript. Serves one stream over real HTTP on port 0, reads it with a raw client,
// notifies one event, and prints every byte received as JSON on stdout.
import http from 'node:http';
import { clearTimeout, setTimeout } from 'node:timers';
import Koa from 'koa';
import { createSystem, sse } from 'sse-actors';

const system = createSystem({ topics: ['rates'], keepAlive: 0 });
const app = new Koa();
app.use(sse(system));
app.use((ctx) => ctx.sse(['rates'], { data: 'hello' }));
const server = http.createServer(app.callback());
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const deadline = setTimeout(() => {
  console.error('no event within 10 s');
  process.exit(2);
}, 10_000);

let raw = '';
const expectedEvent = 'id: 1\nevent: rate\ndata: {"EUR":0.92}\n\n';
http.get({ host: '127.0.0.1', port: server.address().port, path: '/', agent: false }, (res) => {
  res.setEncoding('utf8');
  res.on('data', (text) => {
    raw += text;
    if (raw === 'data: hello\n\n') {
      system.notify({ id: 1, topic: 'rates', data: { event: 'rate', data: JSON.stringify({ EUR: 0.92 }) } });
    } else if (raw.endsWith(expectedEvent)) {
      clearTimeout(deadline);
      console.log(JSON.stringify({ status: res.statusCode, type: res.headers['content-type'], raw }));
      void system.stop({ timeoutMs: 1000 }).then(() => server.close());
    }
  });
});
