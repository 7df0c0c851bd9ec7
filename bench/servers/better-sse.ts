// better-sse as its documentation shows it: one Channel per topic, a Session per request
// (createSession on node:http), channel.register(session); the channel drops a session on disconnect.
import http from 'node:http';
import { createChannel, createSession, type Channel } from 'better-sse';
import { KEEP_ALIVE_MS, parseQuery, payloads, readBody, sendJson, serve, stats } from './contract.ts';

const channels = new Map<string, Channel>();

function channelOf(topic: string): Channel {
  let channel = channels.get(topic);
  if (!channel) channels.set(topic, (channel = createChannel()));
  return channel;
}

function connections(): number {
  let n = 0;
  for (const channel of channels.values()) n += channel.sessionCount;
  return n;
}

const server = http.createServer((req, res) => {
  const query = parseQuery(req.url);
  if (req.method === 'GET' && query.path === '/sse') {
    void createSession(req, res, { keepAlive: KEEP_ALIVE_MS }).then((session) => {
      // createSession already flushed its `retry:` field: those are the stream's first bytes.
      channelOf(query.topic).register(session);
    });
  } else if (req.method === 'POST' && query.path === '/publish') {
    void readBody(req).then((body) => {
      const channel = channels.get(query.topic);
      for (const { seq, data } of payloads(query.count, body)) channel?.broadcast(data, 'message', { eventId: String(seq) });
      sendJson(res, 200, { published: query.count });
    });
  } else if (req.method === 'GET' && query.path === '/stats') {
    sendJson(res, 200, stats(connections(), query.gc));
  } else {
    sendJson(res, 404, { error: 'not found' });
  }
});

serve(server);
