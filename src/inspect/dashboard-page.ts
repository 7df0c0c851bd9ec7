import { COUNTERS } from '../system/types.ts';
/**
 * The dashboard page: one self-contained HTML document (inline CSS and JS, no CDN, no fonts to
 * fetch), so it works with no internet. It reads `DashboardView` messages from its EventSource and
 * redraws; the chart keeps the last 120 ticks in the page.
 */

const STYLE = `
:root{color-scheme:light dark;--bg:#fbfbfa;--fg:#1d1d1b;--mute:#6b6b66;--line:#ddd9d0;--card:#fff;--ok:#2f7d32;--warn:#b26a00;--bad:#b3261e;--a:#2458a6;--b:#b35c00}
@media (prefers-color-scheme:dark){:root{--bg:#161615;--fg:#e8e6e1;--mute:#9a978f;--line:#34332f;--card:#1f1f1d;--a:#7aa7ee;--b:#f0a050}}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;gap:16px;align-items:baseline;flex-wrap:wrap;padding:12px 20px;border-bottom:1px solid var(--line)}
h1{font-size:18px;margin:0}h2{font-size:14px;margin:0 0 8px;text-transform:uppercase;letter-spacing:.04em;color:var(--mute)}
main{display:grid;grid-template-columns:minmax(280px,1fr) 2fr;gap:16px;padding:16px 20px}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:12px 14px;min-width:0}
.wide{grid-column:1/-1}.mute{color:var(--mute)}.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(120px,1fr));gap:8px}
.card b{display:block;font-size:20px;font-variant-numeric:tabular-nums}.card span{color:var(--mute);font-size:12px}
table{border-collapse:collapse;width:100%}th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{font-weight:600;color:var(--mute);font-size:12px}
.s-streaming,.s-running,.s-connected{color:var(--ok)}.s-open,.s-blocked,.s-closing,.s-stopping,.s-reconnecting,.s-starting{color:var(--warn)}.s-failed,.s-stopped{color:var(--bad)}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:16px}ul.tree{padding-left:0}ul.tree li{position:relative;padding:2px 0}
ul.tree ul li::before{content:"";position:absolute;left:-11px;top:0;bottom:50%;width:8px;border-left:1px solid var(--line);border-bottom:1px solid var(--line)}
code{font-family:ui-monospace,monospace;font-size:13px}svg{width:100%;height:160px}.legend i{display:inline-block;width:10px;height:3px;margin:0 4px 3px 10px}
#conn-wrap{max-height:480px;overflow:auto}
`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const fmt = (n) => Number(n).toLocaleString('en-US');
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const st = (s) => '<span class="s-' + esc(s) + '">' + esc(s) + '</span>';
const age = (ms) => ms < 60e3 ? Math.floor(ms / 1e3) + ' s' : ms < 3600e3 ? Math.floor(ms / 60e3) + ' min' : (ms / 3600e3).toFixed(1) + ' h';
const points = [];
let previous;

function chart() {
  const W = 600, H = 150, n = 120;
  const line = (key, max) => points.map((p, i) => ((i + n - points.length) * W / (n - 1)).toFixed(1) + ',' + (H - 4 - p[key] / max * (H - 12)).toFixed(1)).join(' ');
  const maxRate = Math.max(1, ...points.map((p) => p.rate));
  const maxConn = Math.max(1, ...points.map((p) => p.conns));
  $('chart').innerHTML = '<polyline fill="none" stroke="var(--a)" stroke-width="2" points="' + line('rate', maxRate) + '"/>' +
    '<polyline fill="none" stroke="var(--b)" stroke-width="2" points="' + line('conns', maxConn) + '"/>';
  $('chart-max').textContent = 'peak ' + fmt(Math.round(maxRate)) + ' events/s, ' + fmt(maxConn) + ' connections (each line on its own scale; last ' + n + ' ticks)';
}

function render(v) {
  const rate = previous && v.at > previous.at ? (v.events.delivered - previous.events.delivered) * 1000 / (v.at - previous.at) : 0;
  previous = v;
  points.push({ rate, conns: v.connections.total });
  if (points.length > 120) points.shift();
  chart();
  $('status').innerHTML = 'node <code>' + esc(v.node) + '</code> · ' + st(v.status) + ' · transport <code>' + esc(v.transport.kind) + '</code> ' + st(v.transport.state) +
    (v.transport.lagMs ? ' (lag ' + fmt(v.transport.lagMs) + ' ms)' : '') + ' · at ' + new Date(v.at).toLocaleTimeString();
  const cards = [['connections', v.connections.total], ['events/s', Math.round(rate)], ['notified', v.events.notified], ['delivered', v.events.delivered],
    ['keep-alives', v.events.keepAlives], ['replayed', v.events.replayed], ['resets', Object.values(v.events.resets).reduce((a, b) => a + b, 0)],
    ...COUNTER_LABELS.map(([key, label]) => [label, v.counters[key]]), ['restarts', v.restarts], ['escalations', v.escalations]];
  $('counters').innerHTML = cards.map(([k, n]) => '<div class="card" data-counter="' + k + '"><b>' + fmt(n) + '</b><span>' + k + '</span></div>').join('');
  const by = Object.entries(v.connections.byState).filter(([, n]) => n > 0).map(([s, n]) => st(s) + ' ' + fmt(n)).join(', ') || 'none';
  const parts = v.tree.partitions.map((p) => '<li data-actor="' + esc(p.id) + '"><code>' + esc(p.id) + '</code> ' + st(v.status === 'running' ? 'running' : v.status) +
    ' · restarts <b class="restarts">' + p.restarts + '</b> · ' + fmt(p.connections) + ' connections</li>').join('');
  const services = v.tree.services.map((s) => '<li data-actor="' + esc(s.id) + '"><code>' + esc(s.id) + '</code> ' + st(v.status === 'running' ? 'running' : v.status) +
    ' · restarts <b class="restarts">' + s.restarts + '</b></li>').join('');
  $('tree').innerHTML = '<li data-actor="root"><code>root</code> ' + st(v.status) + ' · restarts ' + v.restarts + ' · escalations ' + v.escalations + '<ul>' + services +
    '<li><code>connections</code> (' + v.tree.partitions.length + ' partitions)<ul>' + parts + '<li>' + fmt(v.connections.total) + ' connection actors: ' + by +
    ' · restarts ' + fmt(v.restartsByKind.connection) + '</li></ul></li></ul></li>';
  $('topic-count').textContent = fmt(v.topicCount.live) + ' live of at most ' + fmt(v.topicCount.max) + Object.entries(v.topicCount.families).map((f) => ', ' + f[0] + ': ' + fmt(f[1])).join('');
  $('topics').innerHTML = v.topics.map((t) => '<tr><td><code>' + esc(t.topic) + '</code></td><td class="num">' + fmt(t.subscribers) + '</td><td class="num">' +
    fmt(t.history) + '</td><td class="num">' + fmt(t.notified) + '</td><td class="num">' + fmt(t.delivered) + '</td></tr>').join('');
  $('presence').innerHTML = v.presence.map((p) => '<tr><td><code>' + esc(p.topic) + '</code></td><td class="num">' + fmt(p.users) + '</td><td class="num">' + fmt(p.connections) + '</td></tr>').join('') ||
    '<tr><td colspan="3" class="mute">no presence here</td></tr>';
  const rows = v.connections.rows;
  $('shown').innerHTML = (rows.length < v.connections.total ? 'first ' + fmt(rows.length) + ' of ' + fmt(v.connections.total) + ' (unusual ones first)' : fmt(rows.length) + ' of ' + fmt(v.connections.total)) + ' · by state: ' + by;
  $('connections').innerHTML = rows.map((c) => '<tr data-id="' + esc(c.id) + '"><td><code>' + esc(c.id) + '</code></td><td class="state">' + st(c.state) + '</td><td class="user">' + (c.user ? esc(c.user.id) : '') + '</td><td>' +
    esc(c.topics.join(', ')) + '</td><td class="num mailbox">' + fmt(c.mailbox) + '</td><td class="num delivered">' + fmt(c.delivered) + '</td><td class="num dropped">' +
    fmt(c.dropped) + '</td><td class="num restarts">' + c.restarts + '</td><td class="num">' + age(Math.max(0, v.at - c.openedAt)) + '</td></tr>').join('');
}

const es = new EventSource(FEED);
es.addEventListener('snapshot', (e) => { $('feed').textContent = 'live'; render(JSON.parse(e.data)); });
es.onerror = () => { $('feed').textContent = es.readyState === 2 ? 'closed' : 'reconnecting…'; };
`;

/** The dashboard page, reading its feed at `feedUrl`. */
export function dashboardPage(feedUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>sse-actors dashboard</title><style>${STYLE}</style></head>
<body>
<header><h1>sse-actors</h1><span id="status" class="mute">waiting for the first snapshot…</span><span class="mute">feed: <b id="feed">connecting</b></span></header>
<main>
<section class="wide"><h2>Counters</h2><div id="counters" class="cards"></div></section>
<section><h2>Supervision tree</h2><ul id="tree" class="tree"></ul></section>
<section><h2>Events/s and connections</h2><svg id="chart" viewBox="0 0 600 150" preserveAspectRatio="none" role="img" aria-label="events per second and connections"></svg>
<div class="legend mute"><i style="background:var(--a)"></i>events delivered/s<i style="background:var(--b)"></i>connections · <span id="chart-max"></span></div></section>
<section class="wide"><h2>Topics</h2><p id="topic-count" class="mute"></p><table><thead><tr><th>topic</th><th class="num">subscribers</th><th class="num">history</th><th class="num">notified</th><th class="num">delivered</th></tr></thead><tbody id="topics"></tbody></table></section>
<section class="wide"><h2>Presence (this node)</h2><table><thead><tr><th>topic</th><th class="num">users</th><th class="num">streams</th></tr></thead><tbody id="presence"></tbody></table></section>
<section class="wide"><h2>Connections</h2><p id="shown" class="mute"></p><div id="conn-wrap"><table><thead><tr><th>id</th><th>state</th><th>user</th><th>topics</th><th class="num">mailbox</th><th class="num">delivered</th><th class="num">dropped</th><th class="num">restarts</th><th class="num">age</th></tr></thead><tbody id="connections"></tbody></table></div></section>
</main>
<script>const FEED = ${JSON.stringify(feedUrl).replaceAll('<', '\\u003c')}; const COUNTER_LABELS = ${JSON.stringify(COUNTERS.map(({ key, label }) => [key, label]))};${SCRIPT}</script>
</body></html>
`;
}
