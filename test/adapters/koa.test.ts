import test from 'ava';
import { httpAnswer } from '../../src/adapters/answer.ts';
import { ForbiddenError, TooManyConnectionsError } from '../../src/index.ts';

const err = (props: object) => Object.assign(new Error('msg'), props);
const internal = { status: 500, message: 'Internal Server Error', headers: {} };

test('httpAnswer: only an exposed Error with an integer status in 400..599 says more than 500', (t) => {
  t.deepEqual(httpAnswer(new ForbiddenError(['a'])), { status: 403, message: 'Not allowed to stream "a"', headers: {} });
  t.deepEqual(httpAnswer(new TooManyConnectionsError(2, 3)), { status: 503, message: 'Too many SSE connections: the limit is 2 (maxConnections); retry later', headers: { 'Retry-After': '3' } });
  for (const value of [undefined, null, 'x', 401, { status: 401, expose: true, message: 'm' }, err({}), err({ status: 401 }), err({ status: 401, expose: 'true' }), err({ status: '401', expose: true }), err({ status: 399, expose: true }), err({ status: 600, expose: true }), err({ status: 401.5, expose: true }), err({ status: Number.NaN, expose: true })]) {
    t.deepEqual(httpAnswer(value), internal, String((value as { status?: unknown } | undefined)?.status));
  }
});

test('httpAnswer: headers are sent only when every name is a token and every value is safe', (t) => {
  t.deepEqual(httpAnswer(err({ status: 401, expose: true, headers: { 'WWW-Authenticate': 'Bearer', 'Retry-After': 3 } })).headers, { 'WWW-Authenticate': 'Bearer', 'Retry-After': '3' });
  for (const headers of [{ 'X-A': 'a\r\nb' }, { 'X-A': 'a\nb' }, { 'X-A': 'a\0b' }, { 'Bad Name': 'x' }, { 'X-A': ['x'] }, { 'X-A': '\u0100' }, { 'X-Ok': 'fine', 'X-Bad': 'a\rb' }, 'X-A: 1', ['x']]) {
    t.deepEqual(httpAnswer(err({ status: 401, expose: true, headers })).headers, {}, JSON.stringify(headers));
  }
  // The answer's own framing headers are never taken from the error.
  t.deepEqual(httpAnswer(err({ status: 401, expose: true, headers: { 'Content-Length': '0', 'X-A': '1' } })).headers, { 'X-A': '1' });
});
