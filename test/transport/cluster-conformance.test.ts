import test, { type TestFn } from 'ava';
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { clusterPrimary, type ClusterPrimary } from '../../src/index.ts';
import { clusterConformance } from './cluster-under-test.ts';

// This ava process is the cluster primary; the suite's systems run in one real worker, so every
// event crosses the IPC channel twice (worker → primary → worker), as it does between workers.
let primary: ClusterPrimary | undefined;
let worker: Worker | undefined;
const results = new Map<string, (error: string | undefined) => void>();

test.before(async () => {
  cluster.setupPrimary({ exec: fileURLToPath(new URL('../fixtures/cluster-conformance.ts', import.meta.url)), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  primary = clusterPrimary();
  worker = cluster.fork();
  worker.on('message', (message: { type: string; title?: string; error?: string }) => {
    if (message.type === 'result' && message.title !== undefined) results.get(message.title)?.(message.error);
  });
  const [message] = (await Promise.race([once(worker, 'message'), once(worker, 'exit')])) as [{ type?: string } | number];
  if (typeof message !== 'object' || message.type !== 'ready') throw new Error(`the conformance worker did not start (${String(message)})`);
});

test.after.always(async () => {
  if (worker && !worker.isDead()) {
    const exited = once(worker, 'exit');
    worker.kill('SIGKILL');
    await exited;
  }
  await primary?.stop();
});

// Each case of the suite, run in the worker; its failure (with the worker's stack) fails it here.
clusterConformance(((title: string) =>
  test(title, async (t) => {
    const error = await new Promise<string | undefined>((resolve) => {
      results.set(title, resolve);
      worker?.send({ type: 'run', title });
    });
    if (error !== undefined) t.fail(error);
    else t.pass();
  })) as unknown as TestFn);
