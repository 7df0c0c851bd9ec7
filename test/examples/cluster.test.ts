import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SseClient, eventually } from '../helpers/sse-client.ts';

// The example as a user runs it (a primary and two workers), driven over HTTP; waits have deadlines.

test('cluster example: two workers on one port, each stream says its worker, ticks from the primary reach both in one order; SIGTERM stops all', async (t) => {
  const child = spawn(process.execPath, ['--conditions=sse-actors-source', '--import', 'tsx', fileURLToPath(new URL('../../examples/cluster/server.ts', import.meta.url))], {
    env: { ...process.env, PORT: '0', WORKERS: '2', TICK_MS: '20' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await eventually(() => (out.match(/streams on/g) ?? []).length === 2, 30_000, 'two workers listening');
  const port = /localhost:(\d+)\/ticks/.exec(out)?.[1];
  t.is(new Set([...out.matchAll(/localhost:(\d+)/g)].map((m) => m[1])).size, 1, 'one port for both');

  const byWorker = new Map<string, SseClient>();
  for (let attempt = 0; attempt < 10 && byWorker.size < 2; attempt++) {
    const client = await SseClient.connect(`http://127.0.0.1:${port}/ticks`);
    await client.untilEvents(1, 5000);
    const worker = client.events[0]?.data[0] ?? '';
    if (byWorker.has(worker)) client.close();
    else byWorker.set(worker, client);
  }
  t.is(byWorker.size, 2, 'streams on both workers');
  const [a, b] = [...byWorker.values()] as [SseClient, SseClient];
  await Promise.all([a.untilEvents(6, 5000), b.untilEvents(6, 5000)]);
  const ticks = (client: SseClient) => client.events.slice(1).map((f) => `${f.id ?? ''}=${f.data.join('')}`);
  const [early, late] = Number(a.events[1]?.id) <= Number(b.events[1]?.id) ? [ticks(a), ticks(b)] : [ticks(b), ticks(a)];
  const from = early.indexOf(late[0] as string);
  t.true(from >= 0);
  t.deepEqual(early.slice(from, from + 4), late.slice(0, 4), 'the same ticks in the same order on both workers');
  t.regex(late[0] as string, /^(\d+)=tick \1$/);
  child.kill('SIGTERM');
  await Promise.all([a.untilEnded(5000), b.untilEnded(5000)]);
  const [code] = (await exited) as [number | null];
  t.is(code, 0);
});
