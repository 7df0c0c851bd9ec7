import test from 'ava';
import fc from 'fast-check';
import { SimulatedClock } from 'xstate';
import { createSystem, TooManyTopicsError, type SseSystem } from '../../src/index.ts';
import { RECLAIM_SWEEP_MS } from '../../src/system/topics.ts';
import { PatternTrie, patternsOverlap } from '../../src/protocol/pattern-trie.ts';
import { matchTopic } from '../../src/protocol/topics.ts';

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

test('100,000 user.N topics, each notified once with no subscriber, are reclaimed: the heap comes back to where it started', (t) => {
  const clock = new SimulatedClock();
  const system = createSystem({ topics: ['news', 'user.*'], keepAlive: 0, clock, history: { size: 10, ttlMs: 1000 }, maxTopics: 100_001 });
  const round = (base: number) => {
    for (let n = 0; n < 100_000; n++) system.notify({ id: n, topic: `user.${base + n}`, data: { data: 'hi' } });
  };
  // A first round warms every structure up (maps grow their tables once), then is reclaimed.
  round(0);
  clock.increment(1000 + RECLAIM_SWEEP_MS);
  t.is(system.snapshot().topicCount.live, 1);
  gc();
  const before = process.memoryUsage().heapUsed;
  round(1_000_000);
  t.is(system.snapshot().topicCount.families['user.*'], 100_000);
  gc();
  const during = process.memoryUsage().heapUsed;
  clock.increment(1000 + RECLAIM_SWEEP_MS);
  const snap = system.snapshot();
  t.deepEqual(snap.topicCount, { live: 1, max: 100_001, families: { 'user.*': 0 } });
  t.deepEqual(Object.keys(snap.history), ['news']);
  t.deepEqual(Object.keys(snap.events.topics), ['news', 'user.*']);
  t.is(snap.events.topics['user.*']?.notified, 200_000);
  gc();
  const after = process.memoryUsage().heapUsed;
  t.log(`heap: ${(before / 1e6).toFixed(1)} MB before, ${(during / 1e6).toFixed(1)} MB with 100k topics, ${(after / 1e6).toFixed(1)} MB after reclaim`);
  t.true(during - before > 20e6, 'the topics took memory while live');
  t.true(after - before < 5e6, `reclaim gave it back (${((after - before) / 1e6).toFixed(1)} MB left)`);
});

test('the pattern trie finds exactly the patterns matchTopic says match, and removing leaves it empty', (t) => {
  const seg = fc.constantFrom('a', 'b', '*', '**');
  const pattern = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
  const topic = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 5 }).map((s) => s.join('.'));
  fc.assert(
    fc.property(fc.uniqueArray(pattern, { maxLength: 8 }), topic, (patterns, name) => {
      const trie = new PatternTrie<string>();
      for (const p of patterns) trie.add(p, p);
      const found: string[] = [];
      trie.match(name, (_, p) => void found.push(p));
      const expected = patterns.filter((p) => matchTopic(p, name));
      if (found.sort().join() !== expected.sort().join()) return false;
      for (const p of patterns) trie.delete(p, p);
      let none = true;
      trie.match(name, () => (none = false));
      return none && trie.size === 0;
    }),
    { numRuns: 500 },
  );
  t.true(patternsOverlap('room.*', 'room.**'));
  t.true(patternsOverlap('**', 'user.*'));
  t.false(patternsOverlap('room.*', 'user.*'));
  t.false(patternsOverlap('a.*', 'a.b.*'));
});

/** What the model says of one topic: its kind, its open subscribers, whether it keeps an unexpired event. */
interface ModelTopic {
  kind: 'fixed' | 'registered' | 'created';
  subscribers: number;
  lastAt: number | undefined;
}

type Step =
  | { op: 'register' | 'unregister' | 'subscribe' | 'notify'; n: number }
  | { op: 'close' }
  | { op: 'tick'; ms: number }
  | { op: 'settle' };

const user = fc.integer({ min: 0, max: 5 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constantFrom('register' as const, 'unregister' as const, 'subscribe' as const, 'notify' as const), n: user }),
  fc.record({ op: fc.constant('close' as const) }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
  fc.record({ op: fc.constant('settle' as const) }),
);

/** A sink that takes every write at once and can be closed by the test (the client leaving). */
function fakeSink() {
  const listeners = new Set<{ onSinkClose(): void }>();
  return {
    closed: false,
    ended: false,
    open: () => undefined,
    write: (_bytes: Buffer, done?: (error?: Error | null) => void) => (done?.(), true),
    end() {
      this.ended = true;
    },
    destroy: () => undefined,
    listen: (l: { onSinkClose(): void }) => void listeners.add(l),
    unlisten: () => listeners.clear(),
    leave() {
      this.closed = true;
      for (const l of [...listeners]) l.onSinkClose();
    },
  };
}

test('model: random register / subscribe / notify / close / reclaim sequences keep the live topics the model says', async (t) => {
  const TTL = 2000;
  const MAX = 5;
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { maxLength: 40 }), async (steps) => {
      const clock = new SimulatedClock();
      const system: SseSystem = createSystem({ topics: ['news', 'user.*'], keepAlive: 0, clock, maxTopics: MAX, history: { size: 5, ttlMs: TTL } });
      const model = new Map<string, ModelTopic>([['news', { kind: 'fixed', subscribers: 0, lastAt: undefined }]]);
      const open: Array<{ topic: string; sink: ReturnType<typeof fakeSink> }> = [];
      let seq = 0;
      const expired = (m: ModelTopic) => m.lastAt === undefined || clock.now() > m.lastAt + TTL;
      const reclaimable = (m: ModelTopic) => m.kind === 'created' && m.subscribers === 0 && expired(m);
      /** Makes `topic` live in the model, or says it would not fit (the system must refuse it whole). */
      const fits = (topic: string, kind: ModelTopic['kind']): boolean => {
        if (model.has(topic)) return true;
        // What may be reclaimed is not counted by the model as free room until it is.
        if (model.size >= MAX) return false;
        model.set(topic, { kind, subscribers: 0, lastAt: undefined });
        return true;
      };
      for (const step of steps) {
        const topic = 'n' in step ? `user.${step.n}` : '';
        const live = system.snapshot().topicCount.live;
        if (step.op === 'register' || step.op === 'subscribe' || step.op === 'notify') {
          // The system may have reclaimed what the model still holds: align before deciding room.
          if (!model.has(topic) && model.size >= MAX && live < model.size) continue;
          if (!fits(topic, step.op === 'register' ? 'registered' : 'created')) {
            const act = step.op === 'register' ? () => system.registerTopic(topic) : step.op === 'subscribe' ? () => system.admit({ topics: topic }) : () => system.notify({ id: seq++, topic, data: { data: 'x' } });
            t.throws(act, { instanceOf: TooManyTopicsError });
            if (system.snapshot().topicCount.live !== live) return false; // nothing half-created
            continue;
          }
          const m = model.get(topic) as ModelTopic;
          if (step.op === 'register') {
            system.registerTopic(topic);
            m.kind = 'registered';
          } else if (step.op === 'notify') {
            system.notify({ id: seq++, topic, data: { data: 'x' } });
            m.lastAt = clock.now();
          } else {
            const sink = fakeSink();
            system.admit({ topics: topic }).attach(sink as never);
            m.subscribers += 1;
            open.push({ topic, sink });
          }
        } else if (step.op === 'unregister') {
          if (!model.has(topic) || system.snapshot().topicCount.live < model.size) continue;
          system.unregisterTopic(topic);
          model.delete(topic);
          for (const s of open.filter((o) => o.topic === topic)) s.sink.closed = true;
        } else if (step.op === 'close') {
          const s = open.shift();
          if (!s) continue;
          s.sink.leave();
          const m = model.get(s.topic);
          if (m) m.subscribers -= 1;
        } else if (step.op === 'tick') clock.increment(step.ms);
        else {
          await new Promise((resolve) => setImmediate(resolve));
          clock.increment(TTL + RECLAIM_SWEEP_MS + 1);
          clock.increment(RECLAIM_SWEEP_MS + 1);
          for (const [name, m] of model) if (reclaimable(m)) model.delete(name);
          if (system.snapshot().topicCount.live !== model.size) return false;
        }
        // Between sweeps the system holds at least what must live, at most what the model holds.
        const now = system.snapshot().topicCount.live;
        const must = [...model.values()].filter((m) => !reclaimable(m)).length;
        if (now < must || now > model.size) return false;
        for (const name of Object.keys(system.snapshot().history)) if (!model.has(name)) return false;
        // What the system reclaimed between settles, the model forgets too.
        if (now < model.size) for (const [name, m] of model) if (reclaimable(m) && !(name in system.snapshot().history)) model.delete(name);
        if (system.snapshot().topicCount.live !== model.size) return false;
      }
      for (const s of open) s.sink.leave();
      const stopping = system.stop({ timeoutMs: 0 });
      clock.increment(1);
      await stopping;
      return true;
    }),
    { numRuns: 200 },
  );
  t.pass();
});
