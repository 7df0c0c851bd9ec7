import test from 'ava';
import { createActor, fromTransition, type AnyActorRef } from 'xstate';
import { supervisorLogic, START_CHILD, STOP_CHILD, EscalationError, type ChildSpec, type ExitReason, type SupervisorSnapshot } from '../../src/actors/supervisor.ts';

/** A child that throws on `boom` and finishes on `finish`. */
const fragile = fromTransition((state: { n: number }, event: { type: string }) => {
  if (event.type === 'boom') throw new Error('boom');
  return { n: state.n + 1 };
}, { n: 0 });

function spec(id: string, restart: ChildSpec['restart'], log: string[]): ChildSpec & { refs: AnyActorRef[] } {
  const refs: AnyActorRef[] = [];
  return {
    id,
    logic: fragile,
    restart,
    refs,
    onStart: (ref) => {
      refs.push(ref);
      log.push(`start ${id}`);
    },
    onExit: (reason: ExitReason) => log.push(`exit ${id} ${reason.kind}`),
  };
}

function supervisor(children: ChildSpec[], maxRestarts = 3) {
  let now = 0;
  const errors: unknown[] = [];
  const actor = createActor(supervisorLogic, { id: 'sup', input: { children, intensity: { maxRestarts, withinMs: 1000 }, now: () => now } });
  actor.subscribe({ error: (error) => errors.push(error) });
  actor.start();
  return { actor, errors, advance: (ms: number) => (now += ms), ctx: () => (actor.getSnapshot() as SupervisorSnapshot).context };
}

test('starts children in order; a crashed permanent child is restarted with the same id', (t) => {
  const log: string[] = [];
  const a = spec('a', 'permanent', log);
  const b = spec('b', 'permanent', log);
  const { ctx } = supervisor([a, b]);
  t.deepEqual(log, ['start a', 'start b']);
  a.refs[0]?.send({ type: 'boom' });
  t.deepEqual(log, ['start a', 'start b', 'start a']);
  t.is(a.refs.length, 2);
  t.not(a.refs[1], a.refs[0]);
  t.is(a.refs[1]?.id, 'a');
  t.is(ctx().restarts, 1);
  t.is(ctx().children.get('a')?.restarts, 1);
  t.is(ctx().children.get('a')?.ref, a.refs[1]);
});

test('temporary children are not restarted: their spec is told why they exited', (t) => {
  const log: string[] = [];
  const c = spec('c', 'temporary', log);
  const { actor, ctx } = supervisor([]);
  actor.send({ type: START_CHILD, spec: c });
  c.refs[0]?.send({ type: 'boom' });
  t.deepEqual(log, ['start c', 'exit c crash']);
  t.false(ctx().children.has('c'));
  t.is(ctx().restarts, 0);
});

test('stop_child and stopping the supervisor shut children down in reverse order', (t) => {
  const log: string[] = [];
  const { actor } = supervisor([spec('a', 'permanent', log), spec('b', 'permanent', log), spec('c', 'temporary', log)]);
  actor.send({ type: STOP_CHILD, id: 'b' });
  actor.stop();
  t.deepEqual(log, ['start a', 'start b', 'start c', 'exit b shutdown', 'exit c shutdown', 'exit a shutdown']);
  t.is(actor.getSnapshot().status, 'stopped');
});

test('more than maxRestarts within the window escalates: children stopped, supervisor fails with EscalationError', (t) => {
  const log: string[] = [];
  const a = spec('a', 'permanent', log);
  const other = spec('other', 'permanent', log);
  const { errors, advance, actor } = supervisor([a, other], 2);
  a.refs.at(-1)?.send({ type: 'boom' });
  advance(2000); // outside the window: the first restart no longer counts
  a.refs.at(-1)?.send({ type: 'boom' });
  a.refs.at(-1)?.send({ type: 'boom' });
  t.is(errors.length, 0);
  a.refs.at(-1)?.send({ type: 'boom' });
  t.is(errors.length, 1);
  const error = errors[0] as EscalationError;
  t.true(error instanceof EscalationError);
  t.is(error.child, 'a');
  t.is(error.message, 'Supervisor "sup" gave up: child "a" needed more than 2 restarts within 1000 ms (last error: boom)');
  t.is(actor.getSnapshot().status, 'error');
  t.deepEqual(log.slice(-2), ['exit a crash', 'exit other shutdown']);
});

test('a supervisor is not a machine: child ids leave nothing behind after they exit', (t) => {
  const log: string[] = [];
  const { actor, ctx } = supervisor([]);
  for (let i = 0; i < 1000; i++) {
    const s = spec(`tmp-${i}`, 'temporary', log);
    actor.send({ type: START_CHILD, spec: s });
    actor.send({ type: STOP_CHILD, id: s.id });
  }
  t.is(ctx().children.size, 0);
  t.is(log.length, 2000);
  t.is(log.filter((l) => l.startsWith('exit') && l.endsWith('shutdown')).length, 1000);
});
