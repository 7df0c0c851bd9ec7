// The h2-vs-h1 clients (bench/h2.ts): `streams` event streams over HTTP/1.1 (one socket each) or
// h2c (`sessions` sessions), reading everything and counting event frames.
//   in:  { type: 'open', port, protocol, streams, sessions } → { type: 'opened' }
//        { type: 'count' } → { type: 'count', events }
import http from 'node:http';
import http2 from 'node:http2';

let events = 0;
/** A counter for one stream: `id: ` split across two chunks is found through the carried tail. */
const counter = () => {
  let carry = '';
  return (chunk: string) => {
    const text = carry + chunk;
    for (let i = text.indexOf('id: '); i !== -1; i = text.indexOf('id: ', i + 4)) events += 1;
    carry = text.slice(-3);
  };
};

process.on('message', (message: { type: string; port?: number; protocol?: string; streams?: number; sessions?: number }) => {
  if (message.type === 'count') process.send?.({ type: 'count', events });
  if (message.type !== 'open') return;
  const origin = `http://127.0.0.1:${message.port}`;
  const total = message.streams as number;
  let opened = 0;
  const onOpen = () => (opened += 1) === total && process.send?.({ type: 'opened' });
  if (message.protocol === 'h2') {
    // A connection window as browsers set it (Chromium: 15 MB), not node's 64 KB default.
    const sessions = Array.from({ length: message.sessions as number }, () => http2.connect(origin, (session) => session.setLocalWindowSize(16 * 1024 * 1024)));
    for (let i = 0; i < total; i++) {
      const stream = (sessions[i % sessions.length] as http2.ClientHttp2Session).request({ ':path': '/', accept: 'text/event-stream' });
      stream.setEncoding('utf8');
      stream.once('response', onOpen);
      stream.on('data', counter());
    }
  } else {
    for (let i = 0; i < total; i++) {
      http.get(origin, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', counter());
        onOpen();
      });
    }
  }
});
process.on('disconnect', () => process.exit(0));
