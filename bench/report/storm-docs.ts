import type { Results } from './results.ts';

/** A Markdown table (right-aligned numbers). */
function table(head: string[], rows: string[][]): string {
  return [head, head.map((_, i) => (i === 0 ? '---' : '---:')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The reconnect storm of a deploy (bench/storm.ts), busy jitter on and off. */
export function stormSection(r: Results): string {
  const runs = r.storm ?? [];
  if (runs.length === 0) return '';
  const first = runs[0] as NonNullable<Results['storm']>[number];
  return `## Storm: a deploy's reconnect storm

${first.streams.toLocaleString('en')} streams on node A (system.stream, Redis transport). A calls \`system.stop()\`: every stream
ends with a \`retry:\` spread like a busy answer, between \`busyRetry.baseMs\` (${first.retryMs}) and that plus \`jitterMs\` (or between
\`retry\` and twice that, ${first.retryMs}–${2 * first.retryMs} ms, when that is wider: the jitterMs 0 row). A keeps listening for ${first.drainMs} ms, answering
\`sse-busy\` \`{"reason":"stopping"}\` with \`retry:\` = \`busyRetry.baseMs\` (${first.retryMs}) + up to \`jitterMs\`, then exits; node B
(booted meanwhile) listens on the same port. The clients do what a browser does: wait the last \`retry:\`, reconnect with
\`Last-Event-ID\`. An event is notified every 500 ms throughout. A stream is back when an event reaches it on a new connection.
Times are from \`stop()\`; B's CPU is from its listening until every stream was back. A run that did not get every
stream back within 120 s of B listening reports what it reached then (100% back is n/a).

${table(
    ['busy jitterMs', '99% back', '100% back', 'not back after 120 s', 'B peak accepts/s (best 100 ms)', 'B CPU', 'busy answers', 'refused connects', 'events', 'lost', 'duplicates'],
    runs.map((s) => [String(s.jitterMs), Number.isFinite(s.back99Ms) ? `${s.back99Ms} ms` : 'n/a', Number.isFinite(s.back100Ms) ? `${s.back100Ms} ms` : 'n/a', String(s.notBack ?? 0), s.peakAcceptPerSecond.toLocaleString('en'), `${s.newNodeCpuMs} ms`, String(s.busyAnswers), String(s.refusedConnections), String(s.events), String(s.lost), String(s.duplicates)]),
  )}`;
}

/** Server CPU per delivery, h2c against HTTP/1.1 (bench/h2.ts). */
export function h2Section(r: Results): string {
  const h2 = r.h2;
  if (!h2) return '';
  const { h1, h2: two, ratio } = h2.cpuPerDeliveryUs;
  return `## HTTP/2 against HTTP/1.1

The same \`system.stream\` server on \`node:http\` and on \`node:http2\` (h2c), ${h2.streams} streams (on HTTP/2 over ${h2.sessions}
sessions, each with a 16 MB connection window as browsers set it), ${h2.events.toLocaleString('en')} events in bursts of 100 with a
\`setImmediate\` between; every client reads everything.

${table(['protocol', 'server CPU per delivered event'], [['HTTP/1.1', `${h1.toFixed(2)} µs`], ['HTTP/2 (h2c)', `${two.toFixed(2)} µs`], ['h2 ÷ h1', `${ratio.toFixed(2)}×`]])}`;
}
