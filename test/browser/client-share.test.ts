/**
 * Real Chromium, real Koa server: four tabs of one browser context open the same EventStream and
 * share one connection (Web Locks elect the leader, BroadcastChannel relays). Closing the leader's
 * tab hands the connection over with no gap and no duplicate. Every wait has a deadline.
 */
import test, { type ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until, WAIT } from '../helpers/chromium.ts';
import { openStream, pageLog, startClientServer, streamOf, waitForMessages, waitForState, type ClientGlobals } from '../helpers/client-page.ts';

let browser: Browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

const ids = (from: number, to: number, prefix: string) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
/** `count` tabs of one browser context, each opening the stream with `init` (tab `i` listening for `types(i)`). */
async function openTabs(t: ExecutionContext, origin: string, count: number, init: Record<string, unknown>, types: (i: number) => string[] = () => []): Promise<Page[]> {
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await openStream(page, '/stream?topics=prices', init, types(i));
    pages.push(page);
  }
  for (const page of pages) await waitForState(page, 'open');
  return pages;
}

const leaders = async (pages: Page[]) => (await Promise.all(pages.map(async (page) => (await streamOf(page)).leader))).filter(Boolean).length;

for (const transport of ['eventsource', 'fetch'] as const) {
  test.serial(`${transport}: four tabs share one connection; every tab gets every event once, in order; the leader’s tab closes and another leads with nothing lost or repeated`, async (t) => {
    const { system, origin, requests } = await startClientServer(t, { initial: 'hello' });
    // Only the last tab listens for the named event: the leader's EventSource must listen for it anyway.
    const pages = await openTabs(t, origin, 4, { transport }, (i) => (i === 3 ? ['price'] : []));
    await until('the one stream to subscribe', () => system.snapshot().connections[0]?.state === 'streaming');
    t.is(system.snapshot().connections.length, 1, 'one connection for four tabs');
    t.is(await leaders(pages), 1);

    for (const id of ids(1, 20, 'e')) system.notify({ id, topic: 'prices', data: { data: id, ...(id === 'e7' ? { event: 'price' } : {}) } });
    const expected = (named: boolean) => ['message::hello', ...ids(1, 20, 'e').flatMap((id) => (id !== 'e7' ? [`message:${id}:${id}`] : named ? [`price:${id}:${id}`] : []))];
    for (const [i, page] of pages.entries()) {
      const mine = expected(i === 3);
      await waitForMessages(page, mine.length);
      await page.waitForFunction(() => (globalThis as unknown as ClientGlobals).stream?.lastEventId === 'e20', undefined, WAIT);
      t.deepEqual((await pageLog(page)).messages, mine, 'every tab: the initial chunk (relayed to late tabs), then e1…e20 once, in order');
    }
    t.is(system.snapshot().connections.length, 1);

    // Close the leader's tab and notify while the others elect a new one.
    const leader = (await Promise.all(pages.map((page) => streamOf(page)))).findIndex((stream) => stream.leader);
    const rest = pages.filter((_, i) => i !== leader);
    const closed = performance.now();
    await pages[leader]?.close();
    for (const id of ids(1, 10, 'h')) system.notify({ id, topic: 'prices', data: { data: id } });
    await Promise.any(rest.map((page) => page.waitForFunction(() => (globalThis as unknown as ClientGlobals).stream?.leader === true, undefined, WAIT)));
    await until('the new leader’s connection', () => system.snapshot().connections.length === 1 && system.snapshot().connections[0]?.state === 'streaming');
    const handoverMs = performance.now() - closed;
    t.log(`${transport}: leader handover: ${handoverMs.toFixed(0)} ms from closing the leader’s tab to the new leader’s stream`);
    t.true(handoverMs < 3000, `handover took ${handoverMs} ms`);
    t.is(await leaders(rest), 1);
    // h12 is named: the new leader listens for it because a follower does.
    for (const id of ids(11, 15, 'h')) system.notify({ id, topic: 'prices', data: { data: id, ...(id === 'h12' ? { event: 'price' } : {}) } });

    for (const page of rest) {
      const named = pages.indexOf(page) === 3;
      const after = ids(1, 15, 'h').flatMap((id) => (id !== 'h12' ? [`message:${id}:${id}`] : named ? [`price:${id}:${id}`] : []));
      await page.waitForFunction((last) => (globalThis as unknown as ClientGlobals).pageLog().messages.some((m) => m.endsWith(`:${last}`)), 'h15', WAIT);
      const { messages } = await pageLog(page);
      // The new leader's connection starts with the initial chunk again (as EventSource's reconnect does).
      t.deepEqual(
        messages.filter((m) => !m.endsWith(':hello')),
        [...expected(named).slice(1), ...after],
        'every remaining tab: h1…h15 exactly once, in order, after e1…e20',
      );
    }
    // The new leader resumed from its own last id (the native transport sends it in the query on its
    // first connect, fetch as the header): the server replayed what was notified during the handover.
    // That id is e20, or one of h1…h10 when the closing tab's stream was still read for a moment and
    // relayed them first (seen on a loaded machine); either way every tab got each event once (above).
    const resumed = requests.map((r) => (transport === 'fetch' ? r.lastEventId : r.query));
    t.is(resumed.length, 2);
    t.is(resumed[0], null);
    t.true(resumed[1] === 'e20' || ids(1, 10, 'h').includes(resumed[1] as string), `resumed from ${String(resumed[1])}`);
    t.is(system.snapshot().connections.length, 1);
  });
}

test.serial('close() in one tab stops only that tab; the connection ends when no tab listens', async (t) => {
  const { system, origin } = await startClientServer(t, { initial: 'hello' });
  const pages = await openTabs(t, origin, 2, {});
  const [first, second] = pages as [Page, Page];
  t.true((await streamOf(first)).leader);
  t.false((await streamOf(second)).leader);

  // The follower closes: the leader keeps streaming.
  await second.evaluate(() => (globalThis as unknown as ClientGlobals).stream?.close());
  system.notify({ id: 'a1', topic: 'prices', data: { data: 'a1' } });
  await waitForMessages(first, 2);
  t.deepEqual((await pageLog(first)).messages, ['message::hello', 'message:a1:a1']);
  t.deepEqual((await pageLog(second)).messages, ['message::hello']);
  t.like(await streamOf(second), { readyState: 2, state: 'closed' });

  // The leader closes too: nobody listens, the connection ends.
  await first.evaluate(() => (globalThis as unknown as ClientGlobals).stream?.close());
  await until('the connection to end', () => system.snapshot().connections.length === 0);
  t.like(await streamOf(first), { readyState: 2, state: 'closed', leader: false });
});
