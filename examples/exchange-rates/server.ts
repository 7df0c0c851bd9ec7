import type { AddressInfo } from 'node:net';
import http from 'node:http';
import type { InspectionEvent } from 'xstate';
import { createExchangeRatesApp, DASHBOARD_PATH, METRICS_PATH, STREAM_PATH, type Variant } from './app.ts';
import { skyInspector } from '../inspect/sky.ts';
import { createRecorder, type Recorder } from '../inspect/recorder.ts';

/**
 * `npm start`: the exchange-rate demo. Environment:
 * - `PORT` (default 3000; 0 picks a free port, printed in the URL line)
 * - `VARIANT` = `router` (default, @koa/router) | `plain` (plain Koa)
 * - `TICK_MS` ticker interval (default 1000)
 * - `INSPECT=1` (or `sky`) streams every actor to Stately's live inspector (needs internet);
 *   `INSPECT=log` prints every actor's state changes and serves them at /_inspect (offline)
 */

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function readPort(raw: string | undefined): number {
  if (!raw) return 3000;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) fail(`PORT must be an integer in 0..65535, got ${JSON.stringify(raw)}`);
  return port;
}

function readVariant(raw: string | undefined): Variant {
  if (!raw) return 'router';
  if (raw !== 'router' && raw !== 'plain') fail(`VARIANT must be "router" or "plain", got ${JSON.stringify(raw)}`);
  return raw;
}

function readTick(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : 0;
  if (ms < 1) fail(`TICK_MS must be a positive integer of milliseconds, got ${JSON.stringify(raw)}`);
  return ms;
}

const port = readPort(process.env.PORT);
const variant = readVariant(process.env.VARIANT);
const tickMs = readTick(process.env.TICK_MS);
const mode = process.env.INSPECT ?? '';
if (!['', '1', 'sky', 'log'].includes(mode)) fail(`INSPECT must be 1 (or sky) or log, got ${JSON.stringify(mode)}`);
const recorder: Recorder | undefined = mode === 'log' ? createRecorder() : undefined;
const inspect: ((event: InspectionEvent) => void) | undefined = recorder ? recorder.inspect : mode === '1' || mode === 'sky' ? await skyInspector() : undefined;

const demo = createExchangeRatesApp({
  variant,
  ...(tickMs !== undefined ? { tickMs } : {}),
  ...(inspect ? { inspect } : {}),
});
const callback = demo.app.callback();
const server = http.createServer((req, res) => {
  if (!recorder?.handler(req, res)) void callback(req, res);
});
server.listen(port, () => {
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  console.log(`Exchange rates demo on ${url}  (stream: curl -N ${url}${STREAM_PATH})`);
  console.log(`Dashboard: ${url}${DASHBOARD_PATH}  Metrics: ${url}${METRICS_PATH}${recorder ? `  Actors: ${url}/_inspect` : ''}`);
  console.log(`variant: ${variant}; Ctrl-C stops it`);
});
server.on('error', (error) => fail(`cannot listen on port ${port}: ${error.message}`));

let shuttingDown = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (shuttingDown) {
    console.error(`${signal} again: exiting without waiting`);
    process.exit(1);
  }
  shuttingDown = true;
  console.log(`${signal}: ending streams and closing the server`);
  // Ends every open stream first; otherwise server.close() would wait for them forever.
  await demo.stop();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Browsers keep idle keep-alive sockets open; Node 20 closes idle ones in close(), this
    // catches a request that was still in flight.
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
  process.exit(0);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      console.error('shutdown failed:', error);
      process.exit(1);
    });
  });
}
