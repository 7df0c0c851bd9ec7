import test from 'ava';
import { createSystem, InvalidChunkError, TopicLimitError, UnknownTopicError } from '../../src/index.ts';
import { TopicIndex } from '../../src/protocol/topics.ts';
import { RawClient, koaServer, plainServer } from './raw.ts';

// Items 4, 5 and 11: a 400 names only what the client asked for; what one stream may ask for is
// bounded before any work; topics that are not strings are a 400, not a TypeError.

const registered = Array.from({ length: 1000 }, (_, n) => `group${n % 10}.topic${n}`);

test('unknown topic over HTTP: the 400 names what was asked, never the registered topics', async (t) => {
  const system = createSystem({ topics: ['public', 'secret.plans'], keepAlive: 0 });
  const srv = await koaServer(system);
  const client = new RawClient(srv.port, 'GET /events?topics=nope,secret.* HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.untilClosed(5000);
  t.is(client.status, 400);
  t.is(client.body, 'Unknown SSE topic "nope": register it in createSystem({ topics })');
  t.false(client.text.includes('public'));
  await srv.close();
});

test('3,000 patterns against 1,000 topics: 400 TopicLimitError before any resolution', async (t) => {
  const system = createSystem({ topics: registered, keepAlive: 0 });
  const srv = await koaServer(system);
  // Short patterns, so that the request line stays under node's 16 KB header limit.
  const patterns = Array.from({ length: 3000 }, (_, n) => (n % 2 ? '*.*' : '**')).join(',');
  const client = new RawClient(srv.port, `GET /events?topics=${patterns} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await client.untilClosed(5000);
  t.is(client.status, 400);
  t.is(client.body, 'Too many or too long SSE topics: 3000 topics asked for, at most 32 per stream (raise it with createSystem({ maxTopicsPerStream }))');
  const error = t.throws(() => system.resolveTopics(Array.from({ length: 33 }, () => 'group1.*')), { instanceOf: TopicLimitError });
  t.is(error?.status, 400);
  t.true(error?.expose);
  t.is(error?.option, 'maxTopicsPerStream');
  await srv.close();
});

test('a name or pattern longer than maxTopicLength: 400 naming the option', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, maxTopicLength: 8 });
  const srv = await plainServer(system, { topics: ['a', 'a'.repeat(9)] });
  const client = new RawClient(srv.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.untilClosed(5000);
  t.is(client.status, 400);
  t.is(client.body, 'Too many or too long SSE topics: a topic of 9 characters asked for, at most 8 (raise it with createSystem({ maxTopicLength }))');
  t.is(t.throws(() => system.resolveTopics('*'.repeat(300)), { instanceOf: TopicLimitError })?.option, 'maxTopicLength');
  t.deepEqual(createSystem({ topics: ['a'], maxTopicsPerStream: 2, maxTopicLength: 300 }).resolveTopics(['a', '*'.repeat(300).slice(0, 1)]), ['a']);
  await srv.close();
});

test('resolution costs what a pattern can match: steps through the segment index, not patterns × topics', (t) => {
  const index = new TopicIndex(registered);
  t.is(index.resolve(['group3.topic3']).steps, 1); // a name is one lookup
  const one = index.resolve(['group3.*']);
  t.is(one.topics.length, 100);
  t.is(one.steps, 1 + 1 + 100); // root, group3, its 100 children
  t.is(index.resolve(Array.from({ length: 32 }, (_, n) => `group${n % 10}.topic${n}`)).steps, 32);
  // `**` repeated: each (node, position) is visited at most once (twice with the "inside **" flag).
  const nodes = 1 + 10 + 1000;
  const greedy = '**.'.repeat(85) + '**';
  const worst = index.resolve([greedy]);
  t.deepEqual(worst.topics, []);
  t.true(worst.steps <= nodes * 86 * 2, `${worst.steps} steps`);
  const all = index.resolve(['**']);
  t.is(all.topics.length, 1000);
  t.true(all.steps <= nodes * 2 + 1, `${all.steps} steps`);
});

for (const bad of [5, [5], null, {}, undefined, true] as unknown[]) {
  test(`a topic that is not a string (${JSON.stringify(bad) ?? 'undefined'}) is an UnknownTopicError 400, in stream and resolveTopics`, async (t) => {
    const system = createSystem({ topics: ['a'], keepAlive: 0 });
    const error = t.throws(() => system.resolveTopics(bad as string), { instanceOf: UnknownTopicError });
    t.is(error?.status, 400);
    t.regex(error?.message ?? '', /a topic must be a string/);
    const srv = await plainServer(system, { topics: bad });
    const client = new RawClient(srv.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await client.untilClosed(5000);
    t.is(client.status, 400);
    t.regex(client.body, /^Invalid SSE topic .*: a topic must be a string$/);
    await srv.close();
  });
}

test('notify: a topic that is not a string is an InvalidChunkError', (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  for (const topic of [5, ['a'], null, {}]) {
    const error = t.throws(() => system.notify({ id: 1, topic, data: { data: 'x' } } as never), { instanceOf: InvalidChunkError });
    t.is(error?.field, 'SseEvent.topic');
  }
  void system.stop();
});

test('through Koa, an empty ?topics= answers 400 naming the empty name', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await koaServer(system);
  const client = new RawClient(srv.port, 'GET /events?topics= HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.untilClosed(5000);
  t.is(client.status, 400);
  t.is(client.body, 'Unknown SSE topic "": register it in createSystem({ topics })');
  await srv.close();
});
