import test from 'ava';
import { lastEventIdOf, queryLastEventId, type SseRequest } from '../../src/adapters/node-http.ts';

const req = (fields: { rawHeaders?: string[]; headers?: Record<string, string>; url?: string }) => ({ headers: {}, url: '/', ...fields }) as unknown as SseRequest;

test('lastEventIdOf reads the header from the raw list, in any case; the first non-empty one counts', (t) => {
  t.is(lastEventIdOf(req({ rawHeaders: ['Host', 'x', 'Last-Event-ID', '42'] })), '42');
  t.is(lastEventIdOf(req({ rawHeaders: ['last-event-id', '7'] })), '7');
  t.is(lastEventIdOf(req({ rawHeaders: ['LAST-EVENT-ID', '', 'Last-Event-Id', 'b', 'last-event-id', 'c'] })), 'b');
  t.is(lastEventIdOf(req({ rawHeaders: ['Last-Event-IDs', '1', 'X-Last-Event-ID', '2'] })), undefined);
});

test('lastEventIdOf falls back to the lastEventId query parameter, and to headers without a raw list', (t) => {
  t.is(lastEventIdOf(req({ rawHeaders: [], url: '/sse?topic=a&lastEventId=99' })), '99');
  t.is(lastEventIdOf(req({ rawHeaders: ['Last-Event-ID', '5'], url: '/sse?lastEventId=99' })), '5');
  t.is(lastEventIdOf(req({ rawHeaders: [], url: '/sse?topic=a' })), undefined);
  t.is(lastEventIdOf(req({ headers: { 'last-event-id': '3' } })), '3');
  t.is(lastEventIdOf(req({ headers: {}, url: '/sse?lastEventId=x%20y' })), 'x y');
});

test('queryLastEventId reads only the part after `?` and never throws', (t) => {
  t.is(queryLastEventId('//x:99999/?lastEventId=1'), '1');
  t.is(queryLastEventId('http://x:99999/events?a=b&lastEventId=%C3%A9-3'), 'é-3');
  t.is(queryLastEventId('http://[::1/?lastEventId=2'), '2');
  t.is(queryLastEventId('/?lastEventId=%'), '%'); // malformed escapes are kept as written
  t.is(queryLastEventId('/?x=1#lastEventId=3'), undefined); // a fragment is not the query
  t.is(queryLastEventId('/lastEventId=3'), undefined);
  t.is(queryLastEventId(undefined), undefined);
  t.is(queryLastEventId(42), undefined);
});
