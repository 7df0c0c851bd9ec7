/**
 * Real Chromium: a page that reloads while events are notified resumes from the id kept in
 * sessionStorage (no gap, no duplicate); an offline or hidden page waits instead of retrying, and
 * reconnects at once when it is back. Every wait has a deadline.
 */
import test from 'ava';
import type { Browser } from 'playwright-core';
import { launchChromium, until, WAIT } from '../helpers/chromium.ts';
import { openStream, pageLog, startClientServer, streamOf, waitForMessages, waitForState, type ClientGlobals } from '../helpers/client-page.ts';

/** The page's document, as far as these tests touch it (the tests' tsconfig has no DOM lib). */
interface PageDocument {
  document: { dispatchEvent(event: Event): boolean };
}

let browser: Browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

for (const transport of ['eventsource', 'fetch'] as const) {
  test.serial(`${transport}: a reload while events are notified resumes with no gap and no duplicate`, async (t) => {
    const { system, origin, requests } = await startClientServer(t, { initial: 'hello' });
    const context = await browser.newContext();
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await openStream(page, '/stream?topics=prices', { transport });
    await waitForState(page, 'open');
    await until('the stream to subscribe', () => system.snapshot().connections[0]?.state === 'streaming');

    // Events keep coming, one every few ms, before, during and after the reload.
    let n = 0;
    const notify = () => system.notify({ id: `e${++n}`, topic: 'prices', data: { data: String(n) } });
    const ticker = setInterval(notify, 3);
    t.teardown(() => clearInterval(ticker));
    await waitForMessages(page, 10);
    await page.reload();
    await openStream(page, '/stream?topics=prices', { transport });
    await waitForState(page, 'open');
    await page.waitForFunction((min) => (globalThis as unknown as ClientGlobals).pageLog().messages.length > min, 20, WAIT);
    clearInterval(ticker);
    const last = `e${n}`;
    await page.waitForFunction((id) => (globalThis as unknown as ClientGlobals).stream?.lastEventId === id, last, WAIT);

    const { messages } = await pageLog(page);
    const received = messages.filter((m) => !m.endsWith(':hello')).map((m) => m.split(':')[1]);
    t.deepEqual(received, Array.from({ length: n }, (_, i) => `e${i + 1}`), 'every id once, in order, across the reload');
    // Two connections: the second one resumed from the id the first page dispatched last.
    t.is(requests.length, 2);
    const resumedFrom = transport === 'fetch' ? requests[1]?.lastEventId : requests[1]?.query;
    const hello = messages.indexOf(`message:${resumedFrom}:hello`);
    t.true(hello > 0, `the reloaded page starts with the initial chunk, its lastEventId the stored ${resumedFrom}`);
    t.is(messages[hello - 1], `message:${resumedFrom}:${resumedFrom?.slice(1)}`);
  });
}

test.serial('offline: no retries while offline, a reconnect as soon as the browser is online; hidden: the same on visibilitychange', async (t) => {
  const { system, server, origin, requests } = await startClientServer(t, { initial: 'hello' });
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await openStream(page, '/stream?topics=prices', { transport: 'fetch', backoff: { minMs: 10, maxMs: 20 } });
  await waitForState(page, 'open');

  await context.setOffline(true);
  server.closeAllConnections();
  await waitForState(page, 'waiting');
  t.is(requests.length, 1, 'no request while offline');
  t.like((await pageLog(page)).errors.at(-1), { readyState: 0, state: 'waiting', retryMs: null });
  await context.setOffline(false);
  await waitForState(page, 'open');
  t.is(requests.length, 2);

  // Hidden: the page says so (headless Chromium is always visible), then the connection drops.
  await page.evaluate(() => {
    Object.defineProperty((globalThis as unknown as PageDocument).document, 'hidden', { configurable: true, value: true });
  });
  server.closeAllConnections();
  await waitForState(page, 'waiting');
  t.is(requests.length, 2, 'no request while hidden');
  await page.evaluate(() => {
    const page = (globalThis as unknown as PageDocument).document;
    Object.defineProperty(page, 'hidden', { configurable: true, value: false });
    page.dispatchEvent(new Event('visibilitychange'));
  });
  await waitForState(page, 'open');
  t.is(requests.length, 3);
  system.notify({ id: 'x1', topic: 'prices', data: { data: 'after' } });
  await page.waitForFunction(() => (globalThis as unknown as ClientGlobals).stream?.lastEventId === 'x1', undefined, WAIT);
  t.is((await streamOf(page)).readyState, 1);
});
