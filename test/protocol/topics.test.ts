import test from 'ava';
import fc from 'fast-check';
import { isPattern, matchTopic, resolveTopics, TopicIndex, checkTopicRequest } from '../../src/protocol/topics.ts';
import { TopicLimitError, UnknownTopicError } from '../../src/system/errors.ts';

test('isPattern', (t) => {
  t.false(isPattern('a'));
  t.false(isPattern('a.b.c'));
  t.false(isPattern(''));
  t.true(isPattern('*'));
  t.true(isPattern('**'));
  t.true(isPattern('a.*'));
  t.true(isPattern('a.**'));
  t.true(isPattern('a*'));
});

// [pattern, topic, expected]
const table: Array<[string, string, boolean]> = [
  // exact (no wildcard): only itself
  ['a', 'a', true],
  ['a', 'b', false],
  ['a.b', 'a.b', true],
  ['a.b', 'a.b.c', false],
  ['a.b.c', 'a.b', false],
  ['a', 'A', false],
  ['usd_eur_pair_updated', 'usd_eur_pair_updated', true],
  // `*`: exactly one segment
  ['*', 'a', true],
  ['*', 'a.b', false],
  ['a.*', 'a.b', true],
  ['a.*', 'a', false],
  ['a.*', 'a.b.c', false],
  ['a.*', 'b.a', false],
  ['*.b', 'a.b', true],
  ['*.b', 'a.c', false],
  ['*.*', 'a.b', true],
  ['*.*', 'a', false],
  ['*.*', 'a.b.c', false],
  // `a.*.c`
  ['a.*.c', 'a.b.c', true],
  ['a.*.c', 'a.x.c', true],
  ['a.*.c', 'a.b.d', false],
  ['a.*.c', 'a.c', false],
  ['a.*.c', 'a.b.b.c', false],
  ['a.*.c', 'b.b.c', false],
  // `**`: one or more remaining segments
  ['a.**', 'a.b', true],
  ['a.**', 'a.b.c', true],
  ['a.**', 'a.b.c.d.e', true],
  ['a.**', 'a', false],
  ['a.**', 'b.c', false],
  ['a.**', 'ab.c', false],
  ['a.b.**', 'a.b.c', true],
  ['a.b.**', 'a.b', false],
  ['a.b.**', 'a.c.d', false],
  ['*.**', 'a.b', true],
  ['*.**', 'a.b.c', true],
  ['*.**', 'a', false],
  // `**` alone: every (non-empty) topic
  ['**', 'a', true],
  ['**', 'a.b', true],
  ['**', 'a.b.c.d', true],
  // pattern longer / shorter than the topic
  ['a.b.*', 'a.b', false],
  ['*.*.*', 'a.b', false],
  ['a.*', 'a.b.c.d', false],
  // a wildcard is a whole segment: `a*` is a literal segment, not a prefix match
  ['a*', 'ab', false],
  ['a*', 'a', false],
  ['a.b*', 'a.bc', false],
  // empty segments are segments
  ['a.*', 'a.', true],
  ['*.b', '.b', true],
  ['a.*.c', 'a..c', true],
  ['a.**', 'a.', true],
  ['a.*', 'a..', false],
  ['a..b', 'a..b', true],
  ['a..b', 'a.b', false],
  ['a.*', '.a', false],
];

for (const [pattern, topic, expected] of table) {
  test(`matchTopic(${JSON.stringify(pattern)}, ${JSON.stringify(topic)}) is ${expected}`, (t) => {
    t.is(matchTopic(pattern, topic), expected);
  });
}

// `**` "matches the rest": a pattern that goes on after `**` cannot match a topic whose later
// segments contradict it. Under either reading (`**` must be last, or `a.**.c` = "a, one or more
// segments, then c"), `a.**.c` must not match `a.b.d`.
test('matchTopic: segments after ** are not ignored', (t) => {
  t.false(matchTopic('a.**.c', 'a.b.d'), 'a.**.c matched a.b.d');
  t.false(matchTopic('a.**.c', 'a.b'), 'a.**.c matched a.b');
  t.false(matchTopic('**.x', 'a.b'), '**.x matched a.b');
});

test('matchTopic: ** in the middle stands for one or more segments, then the rest must match', (t) => {
  t.true(matchTopic('a.**.c', 'a.b.c'));
  t.true(matchTopic('a.**.c', 'a.b.d.c'));
  t.false(matchTopic('a.**.c', 'a.c'));
  t.true(matchTopic('**.x', 'a.b.x'));
  t.false(matchTopic('**.x', 'x'));
  t.true(matchTopic('a.**.*.z', 'a.b.c.z'));
  t.false(matchTopic('a.**.*.z', 'a.b.z'));
});

const registered = ['rates.usd', 'rates.eur', 'news.fr', 'news.de', 'rates.usd.intraday', 'alerts'];

test('resolveTopics: exact names', (t) => {
  t.deepEqual(resolveTopics(['alerts', 'news.fr'], registered), { topics: ['news.fr', 'alerts'], unmatched: [] });
});

test('resolveTopics: keeps registration order, not pattern order', (t) => {
  t.deepEqual(resolveTopics(['alerts', 'news.*', 'rates.usd'], registered), {
    topics: ['rates.usd', 'news.fr', 'news.de', 'alerts'],
    unmatched: [],
  });
});

test('resolveTopics: dedupes topics matched by several patterns', (t) => {
  t.deepEqual(resolveTopics(['rates.*', 'rates.**', 'rates.usd', 'rates.usd'], registered), {
    topics: ['rates.usd', 'rates.eur', 'rates.usd.intraday'],
    unmatched: [],
  });
});

test('resolveTopics: * vs ** over registered topics', (t) => {
  t.deepEqual(resolveTopics(['rates.*'], registered).topics, ['rates.usd', 'rates.eur']);
  t.deepEqual(resolveTopics(['rates.**'], registered).topics, ['rates.usd', 'rates.eur', 'rates.usd.intraday']);
  t.deepEqual(resolveTopics(['*.*.*'], registered).topics, ['rates.usd.intraday']);
  t.deepEqual(resolveTopics(['**'], registered).topics, registered);
  t.deepEqual(resolveTopics(['*'], registered).topics, ['alerts']);
});

test('resolveTopics: reports unmatched patterns and names, in the order given', (t) => {
  t.deepEqual(resolveTopics(['nope', 'news.*', 'rates', 'x.**', 'rates.*.*.*'], registered), {
    topics: ['news.fr', 'news.de'],
    unmatched: ['nope', 'rates', 'x.**', 'rates.*.*.*'],
  });
});

test('resolveTopics: nothing matches', (t) => {
  t.deepEqual(resolveTopics(['a', 'b.*'], registered), { topics: [], unmatched: ['a', 'b.*'] });
});

test('resolveTopics: no patterns, or no registered topics', (t) => {
  t.deepEqual(resolveTopics([], registered), { topics: [], unmatched: [] });
  t.deepEqual(resolveTopics(['a', '**'], []), { topics: [], unmatched: ['a', '**'] });
});

test('resolveTopics: does not mutate its inputs', (t) => {
  const patterns = ['news.*', 'alerts'];
  const reg = [...registered];
  resolveTopics(patterns, reg);
  t.deepEqual(patterns, ['news.*', 'alerts']);
  t.deepEqual(reg, registered);
});

test('TopicIndex agrees with matchTopic on every pattern and topic set (property)', (t) => {
  const seg = fc.constantFrom('a', 'b', 'c', '', 'a*');
  const name = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('.')).filter((n) => n !== '' && !n.includes('*'));
  const pattern = fc.array(fc.oneof(seg, fc.constantFrom('*', '**')), { minLength: 1, maxLength: 5 }).map((s) => s.join('.'));
  fc.assert(
    fc.property(fc.uniqueArray(name, { maxLength: 12 }), fc.array(pattern, { maxLength: 4 }), (topics, patterns) => {
      const expected = topics.filter((topic) => patterns.some((p) => matchTopic(p, topic)));
      const unmatched = patterns.filter((p) => !topics.some((topic) => matchTopic(p, topic)));
      const got = new TopicIndex(topics).resolve(patterns);
      return JSON.stringify(got.topics) === JSON.stringify(expected) && JSON.stringify(got.unmatched) === JSON.stringify(unmatched);
    }),
    { numRuns: 500, seed: 42 },
  );
  t.pass();
});

test('checkTopicRequest: limits and types before any work', (t) => {
  const limits = { maxTopicsPerStream: 2, maxTopicLength: 5 };
  t.notThrows(() => checkTopicRequest('a', limits));
  t.notThrows(() => checkTopicRequest(['a', 'b.*'], limits));
  t.is(t.throws(() => checkTopicRequest(['a', 'b', 'c'], limits), { instanceOf: TopicLimitError })?.option, 'maxTopicsPerStream');
  t.is(t.throws(() => checkTopicRequest('abcdef', limits), { instanceOf: TopicLimitError })?.option, 'maxTopicLength');
  t.is(t.throws(() => checkTopicRequest([5], limits), { instanceOf: UnknownTopicError })?.message, 'Invalid SSE topic number 5: a topic must be a string');
  t.is(t.throws(() => checkTopicRequest(null, limits), { instanceOf: UnknownTopicError })?.message, 'Invalid SSE topic null: a topic must be a string');
  t.is(t.throws(() => checkTopicRequest([], limits), { instanceOf: UnknownTopicError })?.message, 'No SSE topic asked for: a stream needs at least one topic');
});
