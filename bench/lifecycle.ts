/**
 * Lifecycle micro-benchmark: the connection statechart run by the flat interpreter
 * (`src/runtime/flat-machine.ts`) against the same config run by xstate's own interpreter
 * (`setup().createMachine`). One lifecycle is what a request costs: create, start (open →
 * streaming through the eventless transition), blocked → drained, then the client leaves (closed).
 *
 *   node --import tsx bench/lifecycle.ts          (BENCH_QUICK=1 for a short run)
 *
 * Prints µs per lifecycle for each, alternating rounds, and the ratio of the medians.
 */
import { createActor, setup, type AnyActorLogic } from 'xstate';
import { connectionMachine, connectionImplementations, BLOCKED, DRAINED, SINK_CLOSED, type ConnectionResources } from '../src/actors/connection-machine.ts';

const quick = process.env.BENCH_QUICK === '1';
const PER_ROUND = quick ? 5_000 : 50_000;
const ROUNDS = quick ? 3 : 7;

/** What the machine's actions act on: nothing but counters, so the interpreters are all that is measured. */
function resources(): ConnectionResources & { closed: boolean; calls: number } {
  return {
    id: 'c0',
    calls: 0,
    closed: false,
    acquire() {
      this.calls += 1;
    },
    subscribe() {
      this.calls += 1;
    },
    startStreaming() {
      this.calls += 1;
    },
    stopStreaming() {
      this.calls += 1;
    },
    drainAndEnd() {
      this.calls += 1;
    },
    get sinkClosed() {
      return this.closed;
    },
    isEnding: false,
  };
}

const config = connectionMachine.config as unknown as Parameters<ReturnType<typeof setup>['createMachine']>[0];
// The same config and the same implementations, run by xstate's own interpreter.
const xstateLogic = setup(connectionImplementations as never).createMachine(config as never) as AnyActorLogic;

const events = [{ type: BLOCKED }, { type: DRAINED }, { type: SINK_CLOSED }];

function lifecycles(logic: AnyActorLogic, n: number): number {
  let done = 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const actor = createActor(logic, { input: resources() });
    actor.start();
    for (const event of events) actor.send(event);
    if (actor.getSnapshot().status === 'done') done += 1;
  }
  const elapsed = performance.now() - started;
  if (done !== n) throw new Error(`only ${done} of ${n} lifecycles reached closed`);
  return (elapsed * 1000) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

lifecycles(connectionMachine as unknown as AnyActorLogic, PER_ROUND / 5); // warm-up
lifecycles(xstateLogic, PER_ROUND / 5);
const flat: number[] = [];
const xs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  flat.push(lifecycles(connectionMachine as unknown as AnyActorLogic, PER_ROUND));
  xs.push(lifecycles(xstateLogic, PER_ROUND));
}
const f = median(flat);
const x = median(xs);
console.log(`connection lifecycle (create, start, blocked, drained, closed), ${ROUNDS} rounds × ${PER_ROUND}:`);
console.log(`  flat interpreter      ${f.toFixed(2)} µs (rounds: ${flat.map((v) => v.toFixed(2)).join(', ')})`);
console.log(`  xstate createMachine  ${x.toFixed(2)} µs (rounds: ${xs.map((v) => v.toFixed(2)).join(', ')})`);
console.log(`  ratio flat / xstate   ${(f / x).toFixed(2)}×`);
