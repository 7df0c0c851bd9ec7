import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { createSystem, dashboardHandler, DASHBOARD_TOPIC, type DashboardView, type SseSystem } from '../../src/index.ts';
import { SseClient, get } from '../helpers/sse-client.ts';
import { RawClient } from '../hostile/raw.ts';

/** A plain node:http server: the dashboard first, then `/stream?topics=` streams of the system, else 404. */
async function serve(t: ExecutionContext, system: SseSystem, handle: (req: http.IncomingMessage, res: http.ServerResponse) => boolean): Promise<string> {
  const server = http.createServer((req, res) => {
    if (handle(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/stream') system.stream(req, res, (url.searchParams.get('topics') ?? '').split(','));
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const views = (client: SseClient): DashboardView[] => client.events.filter((f) => f.event === 'snapshot').map((f) => JSON.parse(f.data.join('\n')) as DashboardView);

test('dashboardHandler: the page, its feed of views, and false for every other request', async (t) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0, partitions: 2 });
  let snapshots = 0;
  const snapshot = system.snapshot.bind(system);
  system.snapshot = () => {
    snapshots += 1;
    return snapshot();
  };
  const url = await serve(t, system, dashboardHandler(system, { intervalMs: 20, rows: 1 }));

  const page = await get(`${url}/_sse`);
  t.is(page.status, 200);
  t.is(page.headers['content-type'], 'text/html; charset=utf-8');
  t.true(page.body.includes('const FEED = "/_sse/events";'));
  t.false(/<(script|link)[^>]+(src|href)=/.test(page.body), 'nothing loaded from elsewhere');
  t.is((await get(`${url}/elsewhere`)).status, 404);
  t.is(snapshots, 0, 'nothing is snapshot until someone watches');

  const streams = [await SseClient.connect(`${url}/stream?topics=prices`), await SseClient.connect(`${url}/stream?topics=prices`)];
  const viewer = await SseClient.connect(`${url}/_sse/events`);
  t.teardown(() => [...streams, viewer].forEach((client) => client.close()));
  t.is(viewer.res.headers['content-type'], 'text/event-stream; charset=utf-8');
  // The first view comes at once; then one per tick, until both streams show as streaming.
  await viewer.until((c) => views(c).some((v) => v.connections.byState.streaming === 2), 5000, 'a view with 2 streaming');
  const view = views(viewer).at(-1) as DashboardView;
  t.is(view.status, 'running');
  t.is(view.connections.total, 2);
  t.is(view.connections.rows.length, 1, 'rows: 1 lists one connection, the other is counted');
  t.deepEqual(view.tree.services, [{ id: 'registry', restarts: 0 }, { id: 'history', restarts: 0 }]);
  t.deepEqual(view.tree.partitions, [{ id: 'partition-0', restarts: 0, connections: 1 }, { id: 'partition-1', restarts: 0, connections: 1 }]);
  t.deepEqual(view.topics, [{ topic: 'prices', subscribers: 2, history: 0, notified: 0, delivered: 0 }]);
  // One snapshot per view sent (a tick may have taken one whose view is still on its way).
  const sent = views(viewer).length;
  t.true(snapshots === sent || snapshots === sent + 1, `${snapshots} snapshots for ${sent} views`);

  // The one row listed is the unusual one: c1, restarted after a kill, comes before the quiet c0.
  t.is(view.connections.rows[0]?.id, 'c0');
  system.exit('c1', 'kill');
  await viewer.until((c) => views(c).at(-1)?.connections.rows[0]?.restarts === 1, 5000, 'a view listing the restarted c1');
  t.like(views(viewer).at(-1)?.connections, { total: 2, byState: { streaming: 2 }, rows: [{ id: 'c1', state: 'streaming', topics: ['prices'], restarts: 1 }] });
  t.like(views(viewer).at(-1)?.restartsByKind, { connection: 1, registry: 0 });
});

test('dashboardHandler: authorize gets the request and the dashboard topic; false answers 403', async (t) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0 });
  const asked: string[] = [];
  const url = await serve(
    t,
    system,
    dashboardHandler(system, {
      authorize: (req, topics) => {
        asked.push(`${req.url} ${topics.join()}`);
        return req.headers['x-admin'] === 'yes';
      },
    }),
  );
  const denied = await get(`${url}/_sse`);
  t.is(denied.status, 403);
  t.is(denied.body, 'Forbidden');
  const feed = await SseClient.connect(`${url}/_sse/events`);
  t.is(feed.status, 403);
  const allowed = await SseClient.connect(`${url}/_sse/events`, { 'x-admin': 'yes' });
  t.is(allowed.status, 200);
  await allowed.untilEvents(1);
  t.deepEqual(asked, [`/_sse ${DASHBOARD_TOPIC}`, `/_sse/events ${DASHBOARD_TOPIC}`, `/_sse/events ${DASHBOARD_TOPIC}`]);
  allowed.close();
});

test('when the watched system stops, the feed sends its last view and ends; new viewers get 503', async (t) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0 });
  const url = await serve(t, system, dashboardHandler(system, { intervalMs: 20 }));
  const viewer = await SseClient.connect(`${url}/_sse/events`);
  await viewer.untilEvents(1);
  await system.stop();
  await viewer.untilEnded();
  t.not(views(viewer).at(-1)?.status, 'running');
  t.is((await get(`${url}/_sse/events`)).status, 503);
  t.is((await get(`${url}/_sse`)).status, 200, 'the page still loads (and says the feed closed)');
});

test('dashboardHandler: a request target new URL() refuses (//x:99999/) is not the dashboard route, and nothing throws', async (t) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0 });
  const handle = dashboardHandler(system);
  const handled: boolean[] = [];
  const url = await serve(t, system, (req, res) => {
    const result = handle(req, res);
    handled.push(result);
    if (!result) {
      res.writeHead(404);
      res.end();
    }
    return true;
  });
  const { port } = new URL(url);
  const client = new RawClient(Number(port), 'GET //x:99999/_sse HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.untilClosed(5000);
  t.is(client.status, 404);
  t.deepEqual(handled, [false]);
  t.is((await get(`${url}/_sse`)).status, 200);
});

test('the dashboard view shows presence per topic and the user of each connection', async (t) => {
  const { dashboardView } = await import('../../src/inspect/dashboard-view.ts');
  const { dashboardPage } = await import('../../src/inspect/dashboard-page.ts');
  const system = createSystem({ topics: ['room.*'], keepAlive: 0, presence: { topics: ['room.*'] } });
  t.teardown(() => system.stop({ timeoutMs: 0 }));
  const sink = { closed: false, ended: false, open: () => undefined, write: (_b: Buffer, done: () => void) => (done(), true), end: () => undefined, destroy: () => undefined, listen: () => undefined, unlisten: () => undefined };
  system.admit({ topics: 'room.a', user: { id: 'u1', info: { name: 'Ada' } } }).attach(sink as never);
  const view = dashboardView(system.snapshot(), Date.now(), 10);
  t.deepEqual(view.presence, [{ topic: 'room.a', users: 1, connections: 1 }]);
  t.deepEqual(view.connections.rows[0]?.user, { id: 'u1', info: { name: 'Ada' } });
  const page = dashboardPage('/feed');
  t.true(page.includes('<tbody id="presence">'));
  t.true(page.includes('<th>user</th>'));
});
