// One event to every stream, timed on the server side: the load client is stopped (SIGSTOP) while
// the fleet writes the event, so on a machine with fewer cores than the layout's processes plus a
// client, the time is the servers' alone. The event waits in the streams' socket buffers meanwhile;
// once the client runs again it must count every stream's copy, or the measurement fails.
import http from 'node:http';
import type { Fleet } from '../lib/fleet.ts';
import type { LoadClient } from '../lib/processes.ts';
import { TOPIC } from './types.ts';

/** POST /publish (one event) from this process, so that the stopped client need not send it. */
function publish(port: number, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/publish?topic=${TOPIC}&count=1`, method: 'POST', agent: false, timeout: 60_000, headers: { 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`publish answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('publish timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Publishes one event with the client stopped and returns the time, ms, from its publish (the
 * payload's timestamp, taken on the publishing process) until the last of the fleet's `counting`
 * processes had written it to every stream it holds (bench/servers/contract.ts: fanOutDone).
 */
export async function serverFanOut(fleet: Fleet, client: LoadClient, counting: number, body: string): Promise<number> {
  const { delivered, streams } = await client.send<{ delivered: number; streams: number }>({ type: 'count' }, 10_000);
  const before = await fleet.stats(false);
  let after = before;
  client.signal('SIGSTOP');
  try {
    await publish(fleet.publishPort, body);
    const deadline = performance.now() + 60_000;
    while (after.fanOuts < before.fanOuts + counting) {
      if (performance.now() > deadline) throw new Error(`${after.fanOuts - before.fanOuts} of ${counting} processes wrote the event within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await fleet.stats(false);
    }
  } finally {
    client.signal('SIGCONT');
  }
  const caught = await client.send<{ complete: boolean; delivered: number }>({ type: 'await', delivered: delivered + streams, timeoutMs: 60_000 }, 70_000);
  if (!caught.complete) throw new Error(`server-side fan-out: ${caught.delivered - delivered} of ${streams} streams got the event`);
  return after.fanOutDoneAt - after.fanOutFrom;
}
