import { hostname } from 'node:os';
import test from 'ava';
import {
  DEFAULT_KEEP_ALIVE_MS,
  DEFAULT_PARTITIONS,
  KEEP_ALIVE_ENV,
  logEscalation,
  realClock,
  resolveOptions,
  type Clock,
  type SystemOptions,
} from '../src/system/defaults.ts';
import { InvalidOptionError } from '../src/system/errors.ts';

const topics = ['a', 'b'];
const noEnv: NodeJS.ProcessEnv = {};

function invalid(t: import('ava').ExecutionContext, options: unknown, env: NodeJS.ProcessEnv, option: string, message: string): void {
  const error = t.throws(() => resolveOptions(options as SystemOptions, env), { instanceOf: InvalidOptionError });
  t.is(error?.option, option);
  t.is(error?.name, 'InvalidOptionError');
  t.is(error?.message, message);
  t.true(error instanceof TypeError);
}

test('constants', (t) => {
  t.is(DEFAULT_KEEP_ALIVE_MS, 1000);
  t.is(DEFAULT_PARTITIONS, 8);
  t.is(KEEP_ALIVE_ENV, 'SSE_KEEP_ALIVE_IN_MS');
});

test('defaults with an empty env', (t) => {
  const resolved = resolveOptions({ topics }, noEnv);
  t.deepEqual(resolved, {
    topics: ['a', 'b'],
    families: [],
    maxTopics: 100_000,
    keepAlive: 1000,
    inspect: undefined,
    clock: realClock,
    partitions: 8,
    history: { size: 1000, ttlMs: 60_000, maxBytes: 8_388_608, maxTotalBytes: 268_435_456 },
    retry: undefined,
    mailbox: { limit: 1024, overflow: 'close' },
    maxConnections: Infinity,
    busyRetry: { baseMs: 1000, jitterMs: 4000 },
    authorizeTimeoutMs: 10_000,
    maxTopicsPerStream: 32,
    maxTopicLength: 256,
    maxLifetimeMs: 0,
    lifetimeJitterMs: 0,
    closeTimeoutMs: 5000,
    restart: { maxRestarts: 3, withinMs: 5000 },
    onEscalation: logEscalation,
    transport: undefined,
    presence: undefined,
    node: `${hostname()}:${process.pid}`,
  });
  t.is(resolved.clock, realClock);
});

test('keepAlive: env SSE_KEEP_ALIVE_IN_MS=250 → 250', (t) => {
  t.is(resolveOptions({ topics }, { SSE_KEEP_ALIVE_IN_MS: '250' }).keepAlive, 250);
});

test('keepAlive: env "0" → 0 (off)', (t) => {
  t.is(resolveOptions({ topics }, { SSE_KEEP_ALIVE_IN_MS: '0' }).keepAlive, 0);
});

test('keepAlive: env with surrounding whitespace is accepted', (t) => {
  t.is(resolveOptions({ topics }, { SSE_KEEP_ALIVE_IN_MS: ' 300\n' }).keepAlive, 300);
});

test('keepAlive: env empty string → default', (t) => {
  t.is(resolveOptions({ topics }, { SSE_KEEP_ALIVE_IN_MS: '' }).keepAlive, 1000);
});

test('keepAlive: other env variables are ignored', (t) => {
  t.is(resolveOptions({ topics }, { KEEP_ALIVE: '5', sse_keep_alive_in_ms: '5' }).keepAlive, 1000);
});

test('keepAlive: the option wins over env', (t) => {
  t.is(resolveOptions({ topics, keepAlive: 500 }, { SSE_KEEP_ALIVE_IN_MS: '250' }).keepAlive, 500);
});

test('keepAlive: option 0 is allowed (and wins over env)', (t) => {
  t.is(resolveOptions({ topics, keepAlive: 0 }, { SSE_KEEP_ALIVE_IN_MS: '250' }).keepAlive, 0);
  t.is(resolveOptions({ topics, keepAlive: 0 }, noEnv).keepAlive, 0);
});

test('keepAlive: a valid option wins over an invalid env (env not read)', (t) => {
  t.is(resolveOptions({ topics, keepAlive: 10 }, { SSE_KEEP_ALIVE_IN_MS: 'abc' }).keepAlive, 10);
});

test('keepAlive: explicit undefined option falls back to env', (t) => {
  t.is(resolveOptions({ topics, keepAlive: undefined }, { SSE_KEEP_ALIVE_IN_MS: '42' }).keepAlive, 42);
});

const ENV_EXPECTED = 'expected a non-negative integer of milliseconds (0 = off) in the environment variable';
for (const raw of ['abc', '-5', '1.5', '1e3', '0x10', '10ms', ' ', '99999999999999999999']) {
  test(`keepAlive: env ${JSON.stringify(raw)} → InvalidOptionError naming SSE_KEEP_ALIVE_IN_MS and the value`, (t) => {
    invalid(t, { topics }, { SSE_KEEP_ALIVE_IN_MS: raw }, 'SSE_KEEP_ALIVE_IN_MS', `Invalid option SSE_KEEP_ALIVE_IN_MS=${JSON.stringify(raw)}: ${ENV_EXPECTED}`);
  });
}

const OPTION_EXPECTED = 'expected a non-negative integer of milliseconds (0 = off)';
for (const value of [-1, 1.5, 2 ** 53]) {
  test(`keepAlive: option ${value} → InvalidOptionError naming keepAlive`, (t) => {
    invalid(t, { topics, keepAlive: value }, noEnv, 'keepAlive', `Invalid option keepAlive=${value}: ${OPTION_EXPECTED}`);
  });
}

test('keepAlive: option "250" (a string) → InvalidOptionError naming keepAlive', (t) => {
  invalid(t, { topics, keepAlive: '250' }, noEnv, 'keepAlive', `Invalid option keepAlive="250": ${OPTION_EXPECTED}`);
});

test('keepAlive: option NaN / Infinity / null → InvalidOptionError naming keepAlive', (t) => {
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, null]) {
    const error = t.throws(() => resolveOptions({ topics, keepAlive: value as number }, noEnv), { instanceOf: InvalidOptionError });
    t.is(error?.option, 'keepAlive');
    t.true(error?.message.startsWith('Invalid option keepAlive='));
  }
});

test('keepAlive: an invalid option is rejected even when env is valid', (t) => {
  invalid(t, { topics, keepAlive: -1 }, { SSE_KEEP_ALIVE_IN_MS: '250' }, 'keepAlive', `Invalid option keepAlive=-1: ${OPTION_EXPECTED}`);
});

test('keepAlive: resolveOptions reads the env argument, not process.env', (t) => {
  // Whatever process.env holds, an explicit env decides.
  t.is(resolveOptions({ topics }, { SSE_KEEP_ALIVE_IN_MS: '123' }).keepAlive, 123);
  t.is(resolveOptions({ topics }, {}).keepAlive, 1000);
});

// topics
const TOPIC_NAMES = 'expected non-empty topic names, or family patterns whose segments are names, "*" or "**"';

test('topics: not an array', (t) => {
  invalid(t, { topics: 'a' }, noEnv, 'topics', 'Invalid option topics="a": expected an array of topic names');
  invalid(t, {}, noEnv, 'topics', 'Invalid option topics=undefined: expected an array of topic names');
  invalid(t, { topics: new Set(['a']) }, noEnv, 'topics', 'Invalid option topics={}: expected an array of topic names');
});

test('topics: containing ""', (t) => {
  invalid(t, { topics: ['a', ''] }, noEnv, 'topics', `Invalid option topics="": ${TOPIC_NAMES}`);
});

test('topics: a pattern declares a family; a malformed one is refused', (t) => {
  const resolved = resolveOptions({ topics: ['a', 'user.*', 'a', 'room.**', 'user.*'] }, noEnv);
  t.deepEqual([resolved.topics, resolved.families], [['a'], ['user.*', 'room.**']]);
  invalid(t, { topics: ['a', 'a.b*'] }, noEnv, 'topics', `Invalid option topics="a.b*": ${TOPIC_NAMES}`);
  invalid(t, { topics: ['a..*'] }, noEnv, 'topics', `Invalid option topics="a..*": ${TOPIC_NAMES}`);
});

test('maxTopics: default 100000, a positive integer at least the fixed topics', (t) => {
  t.is(resolveOptions({ topics }, noEnv).maxTopics, 100_000);
  invalid(t, { topics, maxTopics: 0 }, noEnv, 'maxTopics', 'Invalid option maxTopics=0: expected a positive integer');
  invalid(t, { topics: ['a', 'b'], maxTopics: 1 }, noEnv, 'maxTopics', 'Invalid option maxTopics=1: expected at least the 2 topics listed in topics');
});

test('history.maxTotalBytes: default 256 MiB, Infinity allowed, else a positive integer', (t) => {
  t.is(resolveOptions({ topics }, noEnv).history.maxTotalBytes, 256 * 1024 * 1024);
  t.is(resolveOptions({ topics, history: { maxTotalBytes: Number.POSITIVE_INFINITY } }, noEnv).history.maxTotalBytes, Number.POSITIVE_INFINITY);
  invalid(t, { topics, history: { maxTotalBytes: 0 } }, noEnv, 'history.maxTotalBytes', 'Invalid option history.maxTotalBytes=0: expected a positive integer of bytes across all topics, or Infinity');
});

test('topics: containing a non-string', (t) => {
  invalid(t, { topics: ['a', 1] }, noEnv, 'topics', `Invalid option topics=1: ${TOPIC_NAMES}`);
});

test('topics: duplicates are dropped, first occurrence order kept', (t) => {
  t.deepEqual(resolveOptions({ topics: ['b', 'a', 'b', 'c', 'a'] }, noEnv).topics, ['b', 'a', 'c']);
});

test('topics: an empty list is allowed', (t) => {
  t.deepEqual(resolveOptions({ topics: [] }, noEnv).topics, []);
});

test('topics: the resolved list is a copy', (t) => {
  const list = ['a', 'b'];
  const resolved = resolveOptions({ topics: list }, noEnv);
  t.not(resolved.topics, list);
  t.deepEqual(resolved.topics, ['a', 'b']);
});

// partitions
test('partitions: default 8, explicit value kept', (t) => {
  t.is(resolveOptions({ topics }, noEnv).partitions, 8);
  t.is(resolveOptions({ topics, partitions: 1 }, noEnv).partitions, 1);
  t.is(resolveOptions({ topics, partitions: 32 }, noEnv).partitions, 32);
});

for (const value of [0, -1, 1.5]) {
  test(`partitions: ${value} → InvalidOptionError naming partitions`, (t) => {
    invalid(t, { topics, partitions: value }, noEnv, 'partitions', `Invalid option partitions=${value}: expected a positive integer`);
  });
}

// inspect, clock, options itself
test('inspect: a function is kept', (t) => {
  const inspect = (): void => {};
  t.is(resolveOptions({ topics, inspect }, noEnv).inspect, inspect);
});

test('inspect: not a function → InvalidOptionError naming inspect', (t) => {
  invalid(t, { topics, inspect: 'yes' }, noEnv, 'inspect', 'Invalid option inspect="string": expected a function receiving xstate inspection events');
});

test('clock: a given clock is kept', (t) => {
  const clock: Clock = { setTimeout: () => 1, clearTimeout: () => {}, now: () => 0 };
  t.is(resolveOptions({ topics, clock }, noEnv).clock, clock);
});

test('options: null / not an object', (t) => {
  invalid(t, null, noEnv, 'options', 'Invalid option options=null: expected an object { topics, ... }');
  invalid(t, 'x', noEnv, 'options', 'Invalid option options="x": expected an object { topics, ... }');
});

test('flow-control options: defaults, jitter 10% of the lifetime, and each bad value named', (t) => {
  const resolved = resolveOptions({ topics, maxLifetimeMs: 60_000, mailbox: { overflow: 'drop-oldest' } }, noEnv);
  t.deepEqual(resolved.mailbox, { limit: 1024, overflow: 'drop-oldest' });
  t.is(resolved.lifetimeJitterMs, 6000);
  const bad: Array<[object, string]> = [
    [{ mailbox: { limit: 0 } }, 'mailbox.limit'],
    [{ mailbox: { overflow: 'block' } }, 'mailbox.overflow'],
    [{ maxConnections: -1 }, 'maxConnections'],
    [{ maxLifetimeMs: 1.5 }, 'maxLifetimeMs'],
    [{ maxLifetimeMs: 100, lifetimeJitterMs: 200 }, 'lifetimeJitterMs'],
    [{ closeTimeoutMs: -5 }, 'closeTimeoutMs'],
    [{ history: { size: -1 } }, 'history.size'],
    [{ history: { ttlMs: 'soon' } }, 'history.ttlMs'],
    [{ retry: -1 }, 'retry'],
    [{ restart: { maxRestarts: -1 } }, 'restart.maxRestarts'],
    [{ restart: { withinMs: 0 } }, 'restart.withinMs'],
    [{ onEscalation: 'log' }, 'onEscalation'],
  ];
  for (const [options, option] of bad) {
    const error = t.throws(() => resolveOptions({ topics, ...options } as never, noEnv), { instanceOf: InvalidOptionError });
    t.is(error?.option, option);
  }
  t.is(resolveOptions({ topics, maxConnections: Infinity }, noEnv).maxConnections, Infinity);
});

test('busyRetry and authorizeTimeoutMs: defaults fill what is left out; bad values are refused at startup', (t) => {
  t.deepEqual(resolveOptions({ topics, busyRetry: { jitterMs: 0 } }, noEnv).busyRetry, { baseMs: 1000, jitterMs: 0 });
  t.is(resolveOptions({ topics, authorizeTimeoutMs: 250 }, noEnv).authorizeTimeoutMs, 250);
  const invalid = (options: Record<string, unknown>) => t.throws(() => resolveOptions({ topics, ...options } as never, noEnv), { instanceOf: InvalidOptionError });
  t.is(invalid({ busyRetry: 5 })?.option, 'busyRetry');
  t.is(invalid({ busyRetry: { baseMs: -1 } })?.option, 'busyRetry.baseMs');
  t.is(invalid({ busyRetry: { jitterMs: 1.5 } })?.option, 'busyRetry.jitterMs');
  t.is(invalid({ authorizeTimeoutMs: Number.NaN })?.option, 'authorizeTimeoutMs');
});
