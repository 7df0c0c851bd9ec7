import type { AddressInfo } from 'node:net';
import type { InspectionEvent } from 'xstate';
import { createExchangeRatesApp, STREAM_PATH, type Variant } from './app.ts';

/**
 * `npm start`: the exchange-rate demo. Environment:
 * - `PORT` (default 3000; 0 picks a free port, printed in the URL line)
 * - `VARIANT` = `router` (default, @koa/router) | `plain` (plain Koa)
 * - `TICK_MS` ticker interval (default 1000)
 * - `INSPECT=1` streams every actor to Stately's live inspector (needs internet)
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

/**
 * Stately's Sky inspector, loaded only when asked for. It prints the inspection URL once its socket
 * opens. Offline it cannot connect: say so once and stop forwarding, since the socket would queue
 * every event in memory while it keeps retrying.
 */
async function skyInspector(): Promise<((event: InspectionEvent) => void) | undefined> {
  let enabled = true;
  const disable = (why: string): void => {
    if (!enabled) return;
    enabled = false;
    console.error(`INSPECT: ${why}; the demo keeps running without inspection.`);
  };
  try {
    const { createSkyInspector } = await import('@statelyai/inspect');
    const inspector = createSkyInspector({
      // PartySocket reports a DOM-style ErrorEvent here, whatever the declared type says.
      onerror: (error: { message?: unknown }) =>
        disable(`cannot reach Stately Sky (${String(error?.message ?? 'connection failed')}; is there internet access?)`),
    });
    return (event) => {
      if (!enabled) return;
      try {
        inspector.inspect.next?.(event);
      } catch (error) {
        disable(`the inspector failed (${error instanceof Error ? error.message : String(error)})`);
      }
    };
  } catch (error) {
    disable(`could not start @statelyai/inspect (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}

const port = readPort(process.env.PORT);
const variant = readVariant(process.env.VARIANT);
const tickMs = readTick(process.env.TICK_MS);
const inspect = process.env.INSPECT === '1' ? await skyInspector() : undefined;

const demo = createExchangeRatesApp({
  variant,
  ...(tickMs !== undefined ? { tickMs } : {}),
  ...(inspect ? { inspect } : {}),
});
const server = demo.app.listen(port, () => {
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  console.log(`Exchange rates demo on ${url}  (stream: curl -N ${url}${STREAM_PATH})`);
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
