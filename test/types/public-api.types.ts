// Type tests of the public API: `tsc --noEmit` (npm run typecheck, part of npm test) checks this
// file, so a change to an exported type that would break users' code fails CI. Nothing here runs.
import type { Middleware, ParameterizedContext } from 'koa';
import { expectTypeOf } from 'expect-type';
import {
  createSystem,
  encodeChunk,
  memoryTransport,
  sse,
  sseHeaders,
  validateChunk,
  ActorKilledError,
  DuplicateEventIdError,
  EscalationError,
  ForbiddenError,
  InvalidChunkError,
  InvalidOptionError,
  SystemStoppedError,
  TooManyConnectionsError,
  TransportError,
  UnknownActorError,
  UnknownTopicError,
  type Chunk,
  type ConnectionSnapshot,
  type ConnectionState,
  type CtxSse,
  type MemoryTransport,
  type OverflowPolicy,
  type SseEvent,
  type SseSystem,
  type SystemOptions,
  type SystemSnapshot,
  type Transport,
  type TransportMessage,
  type TransportStatus,
} from '../../src/index.ts';
import type { SseUser, StreamOptions } from '../../src/index.ts';

// createSystem: the default (memory) transport gives a system whose notify returns void.
const system = createSystem({ topics: ['a'] });
expectTypeOf(system).toEqualTypeOf<SseSystem<void>>();
expectTypeOf(system).toEqualTypeOf<SseSystem>();
expectTypeOf(system.notify).returns.toEqualTypeOf<void>();
expectTypeOf(system.notify).parameter(0).toEqualTypeOf<SseEvent>();
expectTypeOf(createSystem({ topics: ['a'], transport: memoryTransport() }).notify).returns.toEqualTypeOf<void>();
expectTypeOf(memoryTransport()).toEqualTypeOf<MemoryTransport>();
expectTypeOf<MemoryTransport>().toExtend<Transport<void>>();

// A remote transport (publish returns a promise) makes notify return Promise<void>.
declare const remote: Transport<Promise<void>>;
expectTypeOf(createSystem({ topics: ['a'], transport: remote }).notify).returns.toEqualTypeOf<Promise<void>>();
expectTypeOf<Transport['publish']>().parameter(0).toEqualTypeOf<TransportMessage>();
expectTypeOf<TransportMessage>().toEqualTypeOf<{ readonly topic: string; readonly id: string; readonly text: string; readonly publishedAt: number }>();
expectTypeOf<TransportStatus['state']>().toEqualTypeOf<'starting' | 'connected' | 'reconnecting' | 'stopped'>();

// createSystem takes SystemOptions; topics is the only required option.
expectTypeOf(createSystem).parameter(0).toExtend<SystemOptions>();
expectTypeOf<{ topics: string[] }>().toExtend<SystemOptions>();
expectTypeOf<{ keepAlive: number }>().not.toExtend<SystemOptions>();
expectTypeOf<NonNullable<SystemOptions['mailbox']>['overflow']>().toEqualTypeOf<OverflowPolicy | undefined>();
expectTypeOf<OverflowPolicy>().toEqualTypeOf<'drop-oldest' | 'drop-newest' | 'close'>();

// The other methods.
expectTypeOf(system.stream).returns.toEqualTypeOf<string | null>();
expectTypeOf(system.stream).parameter(2).toEqualTypeOf<string | readonly string[]>();
expectTypeOf(system.stream).parameter(3).toEqualTypeOf<Chunk | undefined>();
expectTypeOf(system.resolveTopics).returns.toEqualTypeOf<string[]>();
expectTypeOf(system.exit).parameters.toEqualTypeOf<[actorId: string, reason?: 'kill' | 'normal']>();
expectTypeOf(system.ready).returns.toEqualTypeOf<Promise<void>>();
expectTypeOf(system.stop).returns.toEqualTypeOf<Promise<void>>();
expectTypeOf(system.stop).parameter(0).toEqualTypeOf<{ timeoutMs?: number } | undefined>();
expectTypeOf(system.topics).toEqualTypeOf<readonly string[]>();

// snapshot(): the JSON shape dashboards read.
expectTypeOf(system.snapshot()).toEqualTypeOf<SystemSnapshot>();
expectTypeOf<SystemSnapshot['status']>().toEqualTypeOf<'running' | 'stopping' | 'stopped' | 'failed'>();
expectTypeOf<SystemSnapshot['connections']>().toEqualTypeOf<ConnectionSnapshot[]>();
expectTypeOf<SystemSnapshot['topics']>().toEqualTypeOf<Array<{ topic: string; subscribers: number; history: number }>>();
expectTypeOf<SystemSnapshot['counters']>().toEqualTypeOf<{ dropped: number; overflowClosed: number; lifetimeEnded: number; rejected: number; busyFull: number; busyStopping: number; busyAuthorizeTimeout: number; disconnected: number }>();
expectTypeOf<SystemSnapshot['transport']>().toEqualTypeOf<TransportStatus>();
expectTypeOf<ConnectionSnapshot>().toEqualTypeOf<{
  id: string;
  state: ConnectionState;
  topics: string[];
  mailbox: number;
  delivered: number;
  dropped: number;
  lastEventId: string | null;
  restarts: number;
  openedAt: number;
  user: SseUser | null;
}>();
expectTypeOf<ConnectionState>().toExtend<string>();

// Chunk and SseEvent: the data model of Elixir's `sse` (%SSE.Chunk{}) and event_bus's Event.
expectTypeOf<Chunk>().toEqualTypeOf<{
  data: string | readonly string[];
  comment?: string | readonly string[];
  event?: string;
  id?: string | number;
  retry?: number;
}>();
expectTypeOf<SseEvent>().toEqualTypeOf<{ id: string | number; topic: string; data: Chunk }>();
expectTypeOf<{ data: 'x' }>().toExtend<Chunk>();
expectTypeOf<{ event: 'x' }>().not.toExtend<Chunk>();
expectTypeOf(encodeChunk).returns.toEqualTypeOf<string>();
expectTypeOf(validateChunk).parameter(0).toEqualTypeOf<unknown>();
expectTypeOf(sseHeaders).returns.toEqualTypeOf<Readonly<Record<string, string>>>();

// Koa: sse(system) is a middleware and ctx.sse is typed on every context.
expectTypeOf(sse(system)).toEqualTypeOf<Middleware>();
expectTypeOf<ParameterizedContext['sse']>().toEqualTypeOf<CtxSse>();
expectTypeOf<CtxSse>().parameters.toEqualTypeOf<[topics: string | readonly string[], initial?: Chunk, options?: StreamOptions]>();
expectTypeOf<CtxSse>().returns.toEqualTypeOf<Promise<string | null>>();

// Errors: classes users catch with instanceof, with the fields they read.
expectTypeOf(new InvalidChunkError('id', 'x', 'why')).toExtend<TypeError>();
expectTypeOf<InvalidChunkError['field']>().toEqualTypeOf<string>();
expectTypeOf<InvalidChunkError['value']>().toEqualTypeOf<unknown>();
expectTypeOf<InvalidOptionError>().toExtend<TypeError>();
expectTypeOf<InvalidOptionError['option']>().toEqualTypeOf<string>();
expectTypeOf<UnknownTopicError>().toExtend<Error>();
expectTypeOf<UnknownTopicError['status']>().toEqualTypeOf<400>();
expectTypeOf<UnknownTopicError['topics']>().toEqualTypeOf<readonly string[]>();
expectTypeOf<ForbiddenError['status']>().toEqualTypeOf<403>();
expectTypeOf<SystemStoppedError['status']>().toEqualTypeOf<503>();
expectTypeOf<TooManyConnectionsError['status']>().toEqualTypeOf<503>();
expectTypeOf<TooManyConnectionsError['headers']>().toEqualTypeOf<Record<string, string>>();
expectTypeOf<TooManyConnectionsError['limit']>().toEqualTypeOf<number>();
expectTypeOf<TransportError['status']>().toEqualTypeOf<503>();
expectTypeOf<DuplicateEventIdError['topic']>().toEqualTypeOf<string>();
expectTypeOf<UnknownActorError['actorId']>().toEqualTypeOf<string>();
expectTypeOf<EscalationError>().toExtend<Error>();
expectTypeOf<ActorKilledError>().toExtend<Error>();
expectTypeOf<TransportError>().toExtend<Error>();

// Presence (issue 19): presence / occupancy / disconnect on every system, typed errors, the store contract.
import {
  CLOSE_EVENT,
  DEFAULT_PRESENCE,
  InvalidSelectorError,
  NotUnderPresenceError,
  PRESENCE_EVENT,
  memoryPresence,
  presenceChunk,
  type Occupancy,
  type PresenceEntry,
  type PresenceOptions,
  type PresenceStore,
  type DisconnectSelector,
} from '../../src/index.ts';
const present = createSystem({ topics: ['room.*'], presence: { topics: ['room.*'], events: true, ttlMs: 15_000, batchMs: 50 } });
expectTypeOf(present.presence).parameter(0).toEqualTypeOf<string>();
expectTypeOf(present.presence('room.a')).toEqualTypeOf<Promise<PresenceEntry[]>>();
expectTypeOf(present.occupancy('room.a')).toEqualTypeOf<Promise<Occupancy>>();
expectTypeOf(present.disconnect).parameter(0).toEqualTypeOf<DisconnectSelector>();
expectTypeOf(present.disconnect({ user: 'u1', reconnect: false })).toEqualTypeOf<Promise<number>>();
expectTypeOf<SystemSnapshot['presence']>().toEqualTypeOf<Array<{ topic: string; users: number; connections: number }>>();
expectTypeOf<PresenceOptions['topics']>().toEqualTypeOf<readonly string[]>();
expectTypeOf(memoryPresence()).toEqualTypeOf<PresenceStore>();
expectTypeOf<typeof CLOSE_EVENT>().toEqualTypeOf<'sse-close'>();
expectTypeOf<typeof PRESENCE_EVENT>().toEqualTypeOf<'presence'>();
expectTypeOf(DEFAULT_PRESENCE.batchMs).toEqualTypeOf<50>();
expectTypeOf(presenceChunk({ type: 'join', id: 'u1' })).toEqualTypeOf<Chunk>();
expectTypeOf(new NotUnderPresenceError('news')).toMatchTypeOf<TypeError>();
expectTypeOf(new InvalidSelectorError({})).toMatchTypeOf<TypeError>();
