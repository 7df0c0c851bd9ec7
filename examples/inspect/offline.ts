import http from 'node:http';
import { createExchangeRatesApp, type ExchangeRatesApp, type ExchangeRatesAppOptions } from '../exchange-rates/app.ts';
import { createRecorder, type Recorder, type RecorderOptions } from './recorder.ts';

/**
 * The offline inspection recipe: the exchange-rate demo with every actor (root, registry, history,
 * partitions, each connection, the ticker) reported to a local recorder, which prints state changes
 * as they happen and serves everything it saw as JSON at `/_inspect`. Needs no internet.
 */
export interface InspectedDemo {
  demo: ExchangeRatesApp;
  recorder: Recorder;
  /** Not listening yet: `server.listen(port)`. Serves `/_inspect`, then the demo (with its dashboard and `/metrics`). */
  server: http.Server;
}

export function createInspectedDemo(options: Omit<ExchangeRatesAppOptions, 'inspect'> & { recorder?: RecorderOptions } = {}): InspectedDemo {
  const { recorder: recorderOptions, ...demoOptions } = options;
  const recorder = createRecorder(recorderOptions);
  const demo = createExchangeRatesApp({ ...demoOptions, inspect: recorder.inspect });
  const callback = demo.app.callback();
  const server = http.createServer((req, res) => {
    if (!recorder.handler(req, res)) void callback(req, res);
  });
  return { demo, recorder, server };
}
