import type { AddressInfo } from 'node:net';
import { createInspectedDemo } from './offline.ts';

/**
 * `node --import tsx examples/inspect/server.ts`: the exchange-rate demo, inspected offline. Every
 * actor's state changes are printed as they happen; `/_inspect` serves them all as JSON.
 * `PRINT_EVENTS=1` prints the events each actor receives too. `PORT` as for `npm start`.
 */
const { demo, server } = createInspectedDemo({ recorder: { printEvents: process.env.PRINT_EVENTS === '1' } });
server.listen(Number(process.env.PORT ?? 3000), () => {
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  console.log(`Inspected demo on ${url}: actors at ${url}/_inspect, dashboard at ${url}/_sse, metrics at ${url}/metrics`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void demo.stop().then(() => {
      server.close();
      server.closeAllConnections();
    });
  });
}
