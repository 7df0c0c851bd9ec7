import test from 'ava';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as api from '../../src/index.ts';
import { compilerOptions, docExamples } from '../../scripts/check-docs.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

// What every example may use without declaring it: the whole public API, the modules examples
// import, and the app objects a reader already has (a system, a Koa app, a request …).
const PRELUDE = `
import Koa from 'koa';
import { Router } from '@koa/router';
import http from 'node:http';
import http2 from 'node:http2';
import cluster from 'node:cluster';
import os from 'node:os';
import { SimulatedClock } from 'xstate';
import { ${Object.keys(api).join(', ')} } from 'sse-actors';
import type { Authorize, BusyAnswer, BusyReason, RevokeHandler, Chunk, Clock, ConnectionSnapshot, ConnectionState, CtxSse, EscalationReport, EventStats, MemoryTransport, NotifyResult, OverflowPolicy, ResetReason, SseEvent, SseMiddlewareOptions, SseRequest, SseResponse, SseSystem, StopOptions, SystemOptions, SystemPort, CounterName, Admission, AdmitRequest, Sink, SinkListener, ResponseOptions, SystemSnapshot, Transport, TransportHost, TransportMessage, TransportState, TransportStatus, ClusterPrimary, StreamGrant, JsonValue, SseUser, StreamOptions, JwtAuthorize, JwtAuthorizeOptions, JwtGrant, InvalidTokenReason, PresenceStore, PresenceHost, PresenceDelta, PresenceChange, PresenceEntry, Occupancy, DisconnectSelector, PresenceMessage } from 'sse-actors';
declare const system: SseSystem;
declare const primary: ClusterPrimary;
declare const app: Koa;
declare const router: Router;
declare const server: http.Server;
declare const req: http.IncomingMessage;
declare const res: http.ServerResponse;
declare const event: SseEvent;
declare const rates: unknown;
declare const text: string;
declare const key: string;
declare const cert: string;
declare const sessions: { get(id: string | undefined): Promise<unknown> };
declare const logger: { error(fields: object, message: string): void };
declare function refetchEverything(): Promise<void>;
declare class EventSource { constructor(url: string); addEventListener(type: string, listener: (message: { data: string }) => void): void; close(): void }
declare const source: EventSource;
declare const store: PresenceStore;
declare const location: { reload(): void };
declare const lastEventId: string | undefined;
declare function allowed(topics: readonly string[]): Promise<boolean>;
declare const mySink: Sink;
declare const ctx: Koa.ParameterizedContext;
declare const topics: readonly string[];
declare const session: { userId: string; name: string };
declare const payload: { sub: string; exp: number };
declare const externalId: string;
declare const profile: { name: string; avatar: string };
declare const secret: Uint8Array;
declare const token: string;
declare const jwt: JwtAuthorize;
declare const log: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
declare const hono: { get(path: string, handler: (c: { req: { raw: Request } }) => Response): void };
void [Koa, http, http2, SimulatedClock, cluster, os];
`;

const IMPORT = /^import [^\n]*from '[^']+';$/;

test('every @example in the TSDoc of the public API type-checks', (t) => {
  const examples = docExamples();
  t.true(examples.length >= 50, `${examples.length} examples`);
  // One virtual module per example, in the repository so `sse-actors` resolves as it does for tests.
  const files = new Map<string, { symbol: string; text: string; offset: number }>();
  examples.forEach(({ symbol, code }, i) => {
    // Imports are in the prelude; the body runs in an async function so examples may await and
    // may declare their own `system` or `app`.
    const body = code.split('\n').filter((line) => !IMPORT.test(line)).join('\n');
    const head = `${PRELUDE}\nexport async function example(): Promise<void> {\n`;
    files.set(`${root}test/docs/example-${i}-${symbol}.ts`, { symbol, text: `${head}${body}\n}\n`, offset: head.split('\n').length - 1 });
  });
  const options = { ...compilerOptions(), noEmit: true };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) => {
    const file = files.get(name);
    return file ? ts.createSourceFile(name, file.text, language) : getSourceFile.call(host, name, language, ...rest);
  };
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name)?.text ?? readFile.call(host, name);
  const program = ts.createProgram([...files.keys()], options, host);

  const problems: string[] = [];
  for (const [name, { symbol, offset }] of files) {
    const source = program.getSourceFile(name);
    if (!source) throw new Error(`no source for ${name}`);
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line - offset + 1;
      problems.push(`${symbol} (example line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  t.deepEqual(problems, []);
});
