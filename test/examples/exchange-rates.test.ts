import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SimulatedClock } from 'xstate';
import { CLIENT_PATH, createExchangeRatesApp, STREAM_PATH, type Variant } from '../../examples/exchange-rates/app.ts';
import { launchChromium, until, WAIT } from '../helpers/chromium.ts';
import { createTicker, seededRandom, type Rates } from '../../examples/exchange-rates/ticker.ts';

// Everything waits for an event with a deadline; nothing sleeps.

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A dispatched `text/event-stream` message (WHATWG: only frames with data are dispatched). */
interface SseMessage {
  data: string;
  id: string | undefined;
  event: string | undefined;
}

function parseFrame(frame: string): SseMessage | undefined {
  const data: string[] = [];
  let id: string | undefined;
  let event: string | undefined;
  for (const line of frame.split(/\r\n|\r|\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
    else if (field === 'event') event = value;
  }
  return data.length > 0 ? { data: data.join('\n'), id, event } : undefined;
}

/** Messages of a response body; keep-alive comments are skipped as a browser skips them. */
async function* messages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: RegExpExecArray | null;
    while ((end = /\r\n\r\n|\n\n|\r\r/.exec(buffer))) {
      const message = parseFrame(buffer.slice(0, end.index));
      buffer = buffer.slice(end.index + end[0].length);
      if (message) yield message;
    }
  }
}

async function nextMessage(stream: AsyncGenerator<SseMessage>, what: string, ms = 5000): Promise<SseMessage> {
  const { value, done } = await within(ms, what, stream.next());
  if (done) throw new Error(`the stream ended before ${what}`);
  return value;
}

/** Resolves once the stream ended cleanly, whatever was still in flight; rejects if it broke off. */
async function ended(stream: AsyncGenerator<SseMessage>): Promise<boolean> {
  while (!(await stream.next()).done);
  return true;
}

const ratesOf = (message: SseMessage): Rates => (JSON.parse(message.data) as { rates: Rates }).rates;

async function listen(server: Server): Promise<string> {
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Listens on 127.0.0.1:0; the test's teardown aborts its requests, stops the demo and closes the server. */
function serve(t: ExecutionContext, demo: ReturnType<typeof createExchangeRatesApp>): { server: Server; abort: AbortController } {
  const server = demo.app.listen(0, '127.0.0.1');
  const abort = new AbortController();
  t.teardown(async () => {
    abort.abort();
    await demo.stop();
    await closeServer(server);
  });
  return { server, abort };
}

async function streamsRates(t: ExecutionContext, variant: Variant): Promise<void> {
  // A step of 0.01 at 4 decimals almost always moves the rate, so 20 ms ticks give updates quickly.
  const demo = createExchangeRatesApp({ variant, tickMs: 20, step: 0.01, random: seededRandom(7), keepAlive: 50 });
  const { server, abort } = serve(t, demo);
  // Every version the ticker went through, to tell which rates were current when the stream opened.
  const history = new Map<number, Rates>([[demo.ticker.version(), demo.ticker.current()]]);
  demo.ticker.onChange(({ version, rates }) => history.set(version, rates));
  const base = await listen(server);

  const res = await within(5000, 'response', fetch(`${base}${STREAM_PATH}`, { signal: abort.signal }));
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  t.is(res.headers.get('access-control-allow-origin'), '*');
  t.truthy(res.body);
  const stream = messages(res.body as ReadableStream<Uint8Array>);

  const first = await nextMessage(stream, 'initial chunk');
  const initial = ratesOf(first);
  t.like(JSON.parse(first.data), { rates: { USD: 1 } });
  t.is(typeof initial.EUR, 'number');
  t.is(first.id, undefined, 'the initial chunk carries no id');

  let previous = initial;
  const ids: number[] = [];
  for (const n of [1, 2]) {
    const update = await nextMessage(stream, `rate update ${n}`);
    t.truthy(update.id, 'every update has an id');
    const id = Number(update.id);
    const rates = ratesOf(update);
    t.is(rates.USD, 1);
    t.not(rates.EUR, previous.EUR, 'only changes are published');
    t.deepEqual(rates, history.get(id), 'the id is the ticker version of these rates');
    ids.push(id);
    previous = rates;
  }
  // The first update is the change right after connect, so the initial chunk held the rates current then.
  t.deepEqual(initial, history.get((ids[0] as number) - 1));
  t.is(ids[1], (ids[0] as number) + 1, 'no change is skipped');

  const page = await within(5000, 'index page', fetch(`${base}/`));
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  t.regex(await page.text(), /import \{ EventStream \} from '\/sse-actors-client\.js'/);
  // The demo mounts the dashboard and /metrics.
  t.is((await within(5000, 'dashboard page', fetch(`${base}/_sse`))).status, 200);
  const scrape = await within(5000, 'metrics', fetch(`${base}/metrics`));
  t.is(scrape.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  t.regex(await scrape.text(), /^sse_connections\{state="streaming"\} 1$/m);

  // A graceful stop ends the open stream.
  await within(5000, 'system stop', demo.stop());
  t.true(await within(5000, 'end of stream', ended(stream)));
}

for (const variant of ['router', 'plain'] as const) {
  test(`${variant}: streams the current rates, then each change with an id`, (t) => streamsRates(t, variant));
}

test('the ticker publishes only changes (SimulatedClock, exact notify count)', async (t) => {
  const clock = new SimulatedClock();
  let draw = 0.5; // 0.5 = no move
  const demo = createExchangeRatesApp({ variant: 'plain', clock, tickMs: 1000, step: 0.01, random: () => draw, keepAlive: 0 });
  const { server, abort } = serve(t, demo);
  // Count at the system boundary: the app calls system.notify once per published change.
  const notified: number[] = [];
  const notify = demo.system.notify.bind(demo.system);
  demo.system.notify = (event) => {
    notified.push(Number(event.id));
    notify(event);
  };
  const base = await listen(server);
  const res = await within(5000, 'response', fetch(`${base}${STREAM_PATH}`, { signal: abort.signal }));
  const stream = messages(res.body as ReadableStream<Uint8Array>);
  const initial = ratesOf(await nextMessage(stream, 'initial chunk'));

  for (let tick = 0; tick < 10; tick++) clock.increment(1000);
  t.deepEqual(notified, [], 'no move: no notify');
  draw = 0.5 + 0.002; // moves EUR by 0.00004, which rounds away at 4 decimals
  for (let tick = 0; tick < 5; tick++) clock.increment(1000);
  t.deepEqual(notified, [], 'a move below the quote precision: no notify');
  t.deepEqual(demo.ticker.current(), initial);
  t.is(demo.ticker.version(), 0);

  draw = 1; // +0.01
  clock.increment(1000);
  t.deepEqual(notified, [1]);
  const expected = { USD: 1, EUR: Math.round((initial.EUR + 0.01) * 10_000) / 10_000 };
  t.deepEqual(demo.ticker.current(), expected);
  // Events are written in order, so had an unchanged tick been published, it would come first.
  const update = await nextMessage(stream, 'the one change');
  t.is(update.id, '1');
  t.deepEqual(ratesOf(update), expected);

  draw = 0.5;
  for (let tick = 0; tick < 3; tick++) clock.increment(1000);
  t.deepEqual(notified, [1]);
});

test('ticker: a seeded walk is reproducible and stays on 4 decimals', (t) => {
  const clock = new SimulatedClock();
  const walks = [1, 2].map(() => {
    const seen: Rates[] = [];
    const ticker = createTicker({ clock, intervalMs: 100, step: 0.01, random: seededRandom(42), onChange: ({ rates }) => seen.push(rates) });
    return { ticker, seen };
  });
  for (let tick = 0; tick < 20; tick++) clock.increment(100);
  for (const { ticker } of walks) ticker.stop();
  const [a, b] = walks as [(typeof walks)[0], (typeof walks)[0]];
  t.true(a.seen.length > 0);
  t.deepEqual(a.seen, b.seen);
  for (const rates of a.seen) t.is(Math.round(rates.EUR * 10_000) / 10_000, rates.EUR);
});

const root = fileURLToPath(new URL('../../', import.meta.url));
const URL_LINE = /Exchange rates demo on http:\/\/localhost:(\d+) {2}\(stream: curl -N http:\/\/localhost:(\d+)\/exchange_rates\/usd_eur\)/;
const OBSERVE_LINE = /Dashboard: http:\/\/localhost:(\d+)\/_sse {2}Metrics: http:\/\/localhost:(\d+)\/metrics\n/;

test('server.ts: prints its URL, streams, and exits 0 on SIGTERM with a stream open', async (t) => {
  const child = spawn(process.execPath, ['--conditions=sse-actors-source', '--import', 'tsx', 'examples/exchange-rates/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', TICK_MS: '50', VARIANT: 'router', INSPECT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const abort = new AbortController();
  t.teardown(() => {
    abort.abort();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const port = await within(
    20_000,
    'URL line on stdout',
    new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        const match = URL_LINE.exec(output);
        if (match && OBSERVE_LINE.test(output)) resolve(Number(match[1]));
      });
      void exited.then(([code]) => reject(new Error(`server exited (${code}) before listening:\n${output}`)));
    }),
  );
  t.true(port > 0);
  t.is(output.match(URL_LINE)?.[2], String(port), 'both URLs name the same port');
  t.deepEqual(output.match(OBSERVE_LINE)?.slice(1), [String(port), String(port)], 'the dashboard and metrics URLs too');

  const res = await within(5000, 'response', fetch(`http://127.0.0.1:${port}${STREAM_PATH}`, { signal: abort.signal }));
  t.is(res.status, 200);
  const stream = messages(res.body as ReadableStream<Uint8Array>);
  t.is(ratesOf(await nextMessage(stream, 'initial chunk')).USD, 1);
  const update = await nextMessage(stream, 'a rate update');
  t.truthy(update.id);
  t.is(ratesOf(update).USD, 1);

  // The printed URLs answer: the dashboard page, its live feed (one view of the open stream), metrics.
  const dashboard = await within(5000, 'dashboard page', fetch(`http://127.0.0.1:${port}/_sse`, { signal: abort.signal }));
  t.is(dashboard.status, 200);
  t.regex(await dashboard.text(), /<title>sse-actors dashboard<\/title>/);
  const feed = await within(5000, 'dashboard feed', fetch(`http://127.0.0.1:${port}/_sse/events`, { signal: abort.signal }));
  const view = JSON.parse((await nextMessage(messages(feed.body as ReadableStream<Uint8Array>), 'first view')).data) as { connections: { total: number; byState: { streaming: number } } };
  t.deepEqual(view.connections, { ...view.connections, total: 1, byState: { ...view.connections.byState, streaming: 1 } });
  const scrape = await within(5000, 'metrics', fetch(`http://127.0.0.1:${port}/metrics`, { signal: abort.signal }));
  t.is(scrape.status, 200);
  const exposition = await scrape.text();
  t.regex(exposition, /^sse_connections\{state="streaming"\} 1$/m);
  t.regex(exposition, /^sse_events_notified_total\{topic="usd_eur_pair_updated"\} [1-9]\d*$/m);

  child.kill('SIGTERM');
  const [code, signal] = await within(5000, 'exit after SIGTERM', exited);
  t.is(signal, null, output);
  t.is(code, 0, output);
  t.true(await within(5000, 'end of stream', ended(stream)), 'the open stream was ended, not cut');
});

test('two tabs of the demo page share one stream: one holds it, the other is fed by it', async (t) => {
  const demo = createExchangeRatesApp({ variant: 'router', tickMs: 50, step: 0.01, random: seededRandom(3), keepAlive: 0 });
  const { server } = serve(t, demo);
  const base = await listen(server);
  const script = await within(5000, 'client bundle', fetch(`${base}${CLIENT_PATH}`));
  t.regex(script.headers.get('content-type') ?? '', /^(text|application)\/javascript/);
  t.regex(await script.text(), /EventStream/);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const context = await browser.newContext();
  const tabs = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) await tab.goto(`${base}/`);
  // Each tab shows a rate and an event id once the shared stream has delivered a change.
  const shown = (tab: (typeof tabs)[number]) =>
    tab.waitForFunction(() => /^\d+$/.test((globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('event-id').textContent), undefined, WAIT);
  await Promise.all(tabs.map(shown));
  await until('one stream', () => demo.system.snapshot().connections.length === 1);
  t.is(demo.system.snapshot().connections.length, 1, 'two tabs, one connection');
  const roles = await Promise.all(tabs.map((tab) => tab.locator('#role').textContent()));
  t.deepEqual([...roles].sort(), ['holds the stream', 'shares another tab’s stream']);
  t.deepEqual(await Promise.all(tabs.map((tab) => tab.locator('#state').textContent())), ['open', 'open']);
});
