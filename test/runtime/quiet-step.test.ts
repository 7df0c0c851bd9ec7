import test from 'ava';
import { createActor, type AnyActorRef, type InspectionEvent } from 'xstate';
import { supervisorLogic, startChild, START_CHILD, type ChildSpec, type SupervisorSnapshot } from '../../src/actors/supervisor.ts';
import { changeSubscription, registryLogic, type RegistrySnapshot } from '../../src/actors/registry.ts';
import { FlatActor } from '../../src/runtime/flat-actor.ts';
import { flatMachine } from '../../src/runtime/flat-machine.ts';
import { markUninspected } from '../../src/runtime/xstate-system.ts';
import { createSystem } from '../../src/index.ts';
import { inspectionDescriber } from '../helpers/inspection.ts';

// A partition's start of a child and the registry's subscribe and leave are taken as quiet steps
// (no event object, no step of their own) when nobody can see steps. Here: the quiet step does
// what the event does, and falls back to the event whenever someone could see the difference.

const INTENSITY = { maxRestarts: 3, withinMs: 1000 };
const idle = flatMachine<Record<string, never>, 'up', { type: 'noop' }, unknown>({ id: 'idle', initial: 'up', context: () => ({}), states: { up: {} } }, { actions: {}, guards: {} });

/** A root with one partition and one registry, as a system's tree has; quiet unless `inspect` is given. */
function tree(inspect?: (event: InspectionEvent) => void) {
  const children: ChildSpec[] = [
    { id: 'registry', logic: registryLogic<{ topics: string[] }>(), input: { topics: ['a'], live: () => [] }, restart: 'permanent' },
    { id: 'partition-0', logic: supervisorLogic, input: { intensity: INTENSITY, now: () => 0, intensityScope: 'child' }, restart: 'permanent' },
  ];
  const root = createActor(supervisorLogic, { id: 'root', input: { children, intensity: INTENSITY, now: () => 0 }, ...(inspect ? { inspect } : {}) });
  if (!inspect) markUninspected(root.system);
  root.start();
  const child = (id: string) => (root.getSnapshot() as SupervisorSnapshot).context.children.get(id);
  return {
    root,
    partition: () => child('partition-0')?.ref as AnyActorRef,
    registry: () => child('registry')?.ref as AnyActorRef,
    restarts: (id: string) => child(id)?.restarts,
  };
}

const spec = (id: string, log: string[]): ChildSpec => ({ id, logic: idle, restart: 'transient', onStart: () => log.push(`start ${id}`), onExit: (reason) => log.push(`exit ${id} ${reason.kind}`) });

test('quiet: startChild starts the child at once and leaves the partition its snapshot; the registry takes a subscriber and lets it go', (t) => {
  const { partition, registry } = tree();
  const log: string[] = [];
  const before = partition().getSnapshot();
  t.true(partition() instanceof FlatActor);
  startChild(partition(), spec('c0', log));
  t.deepEqual(log, ['start c0']);
  t.is(partition().getSnapshot(), before); // a quiet step: no new snapshot
  const child = (before as SupervisorSnapshot).context.children.get('c0');
  t.is(child?.restarts, 0);
  t.is((child?.ref.getSnapshot() as { value: string }).value, 'up');

  const subscriber = { topics: ['a', 'b'] };
  const snapshot = registry().getSnapshot() as RegistrySnapshot<typeof subscriber>;
  changeSubscription(registry(), subscriber, true);
  t.is(registry().getSnapshot(), snapshot);
  t.deepEqual([...(snapshot.context.index.get('a') ?? [])], [subscriber]);
  t.deepEqual([...(snapshot.context.index.get('b') ?? [])], [subscriber]);
  changeSubscription(registry(), subscriber, false);
  t.is(snapshot.context.index.get('a')?.size, 0); // a fixed topic keeps its entry
  t.false(snapshot.context.index.has('b')); // a topic created at runtime goes with its last subscriber
});

test('quiet: a child id taken twice fails the partition as the event does, and the root restarts it', (t) => {
  const quiet = tree();
  const evented = tree();
  const quietLog: string[] = [];
  const eventLog: string[] = [];
  startChild(quiet.partition(), spec('dup', quietLog));
  startChild(quiet.partition(), spec('dup', quietLog));
  evented.partition().send({ type: START_CHILD, spec: spec('dup', eventLog) });
  evented.partition().send({ type: START_CHILD, spec: spec('dup', eventLog) });
  // Both partitions failed and were restarted by the root once; the restarted ones start empty.
  t.is(quiet.restarts('partition-0'), 1);
  t.is(evented.restarts('partition-0'), 1);
  t.is((quiet.partition().getSnapshot() as SupervisorSnapshot).context.children.size, 0);
  t.is((evented.partition().getSnapshot() as SupervisorSnapshot).context.children.size, 0);
  // The second spec was never started, either way.
  t.deepEqual(quietLog, ['start dup']);
  t.deepEqual(eventLog, ['start dup']);
});

test('quiet: what the step sends its own actor waits until the step is over, then runs in order', (t) => {
  const { partition } = tree();
  const log: string[] = [];
  const actor = partition() as unknown as FlatActor;
  const taken = actor.quietStep(
    (a: string, b: string) => {
      log.push(`step ${a} ${b}`);
      // Sent from inside the step: queued, as an event sent from inside an action is.
      actor.send({ type: START_CHILD, spec: spec('inner', log) });
      // A second quiet step inside the first cannot be taken: the actor is busy.
      log.push(`nested ${actor.quietStep(() => log.push('never'), 0, 0)}`);
      log.push('step end');
    },
    'x',
    'y',
  );
  t.true(taken);
  t.deepEqual(log, ['step x y', 'nested false', 'step end', 'start inner']);
});

test('quiet: a step that throws fails the actor, and its supervisor restarts it', (t) => {
  const { partition, restarts } = tree();
  const first = partition() as unknown as FlatActor;
  t.true(
    first.quietStep(
      () => {
        throw new Error('step failed');
      },
      0,
      0,
    ),
  );
  t.is(first.getSnapshot().status, 'error');
  t.is((first.getSnapshot() as { error?: Error }).error?.message, 'step failed');
  t.is(restarts('partition-0'), 1);
  t.not(partition(), first as unknown as AnyActorRef);
  // A stopped actor takes no quiet step.
  t.false(first.quietStep(() => t.fail('a failed actor ran a step'), 0, 0));
});

test('not quiet: with an observer, the step is an event and the observer sees its snapshot', (t) => {
  const { partition } = tree();
  const seen: unknown[] = [];
  const subscription = partition().subscribe((snapshot) => seen.push(snapshot));
  t.false((partition() as unknown as FlatActor).quietStep(() => t.fail('an observed actor ran a quiet step'), 0, 0));
  startChild(partition(), spec('watched', []));
  t.is(seen.length, 1); // the START_CHILD event's step
  t.true((seen[0] as SupervisorSnapshot).context.children.has('watched'));
  subscription.unsubscribe();
});

test('not quiet: with an inspector, a stream start is the events it always was (start_child to the partition, subscribe to the registry)', async (t) => {
  const events: InspectionEvent[] = [];
  const system = createSystem({ topics: ['news'], inspect: (event) => events.push(event) });
  let listener: { onSinkClose(): void } | undefined;
  const sink = {
    closed: false,
    ended: false,
    open() {},
    write: () => true,
    end() {
      sink.ended = sink.closed = true;
      listener?.onSinkClose();
    },
    destroy() {
      sink.closed = true;
    },
    listen(l: { onSinkClose(): void }) {
      listener = l;
    },
    unlisten() {
      listener = undefined;
    },
  };
  const id = system.admit({ topics: 'news' }).attach(sink);
  const describe = inspectionDescriber(() => '');
  const lines = events.filter((e) => e.type === '@xstate.event').map(describe);
  t.true(lines.some((line) => /^@xstate\.event partition-\d+\/s\d+ supervisor\.start_child from -$/.test(line)), lines.join('\n'));
  t.true(lines.some((line) => /^@xstate\.event registry\/s\d+ registry\.subscribe from -$/.test(line)), lines.join('\n'));
  t.true(events.some((e) => e.type === '@xstate.actor' && (e.actorRef as AnyActorRef).id === id));
  await system.stop({ timeoutMs: 100 });
});
