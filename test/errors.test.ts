import test from 'ava';
import { InvalidOptionError, SystemStoppedError, UnknownTopicError } from '../src/system/errors.ts';

test('UnknownTopicError: one topic', (t) => {
  const error = new UnknownTopicError(['nope'], ['a', 'b']);
  t.true(error instanceof Error);
  t.is(error.name, 'UnknownTopicError');
  t.is(error.status, 400);
  t.true(error.expose);
  t.deepEqual(error.topics, ['nope']);
  t.is(error.message, 'Unknown SSE topic "nope": register it in createSystem({ topics })');
  t.deepEqual(error.registered, ['a', 'b']); // for logs, never in the message a client reads
});

test('UnknownTopicError: several topics', (t) => {
  const error = new UnknownTopicError(['x', 'y.*'], ['a']);
  t.deepEqual(error.topics, ['x', 'y.*']);
  t.is(error.message, 'Unknown SSE topics "x", "y.*": register them in createSystem({ topics })');
});

test('UnknownTopicError: nothing registered', (t) => {
  const error = new UnknownTopicError(['x'], []);
  t.is(error.message, 'Unknown SSE topic "x": register it in createSystem({ topics })');
  t.deepEqual(error.registered, []);
});

test('UnknownTopicError: topic names are JSON-quoted (no header or log injection)', (t) => {
  const error = new UnknownTopicError(['a\nb'], []);
  t.is(error.message, 'Unknown SSE topic "a\\nb": register it in createSystem({ topics })');
  t.false(error.message.includes('\n'));
});

test('SystemStoppedError', (t) => {
  const error = new SystemStoppedError('notify');
  t.true(error instanceof Error);
  t.is(error.name, 'SystemStoppedError');
  t.is(error.status, 503);
  t.true(error.expose);
  t.is(error.message, 'Cannot notify: the SSE system is stopped or stopping (system.stop() was called)');
});

test('InvalidOptionError', (t) => {
  const error = new InvalidOptionError('keepAlive', -1, 'a non-negative integer');
  t.true(error instanceof TypeError);
  t.is(error.name, 'InvalidOptionError');
  t.is(error.option, 'keepAlive');
  t.is(error.message, 'Invalid option keepAlive=-1: expected a non-negative integer');
});
