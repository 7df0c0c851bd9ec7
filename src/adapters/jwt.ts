import type { ParameterizedContext } from 'koa';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyGetKey, type KeyObject } from 'jose';
import { HttpFacingError } from '../protocol/errors.ts';
import { algorithmsOf } from './jwt-algorithms.ts';
import { isPattern, matchTopic, patternCovers } from '../protocol/topics.ts';
import { MAX_USER_ID_LENGTH, type JsonValue, type SseUser, type StreamGrant } from '../protocol/user.ts';

/**
 * Options of {@link jwtAuthorize}. Give exactly one of `key` and `jwks`.
 * @example
 * ```ts
 * const options: JwtAuthorizeOptions = { key: new TextEncoder().encode(process.env.SSE_JWT_SECRET), issuer: 'https://auth.example.com', audience: 'sse' };
 * app.use(sse(system, { authorize: jwtAuthorize(options) }));
 * ```
 */
export interface JwtAuthorizeOptions {
  /** The verification key: a secret (`Uint8Array`, at least 32 bytes), a public `CryptoKey` / `KeyObject`, or a JWK. */
  key?: CryptoKey | KeyObject | Uint8Array | JWK;
  /** A key set instead of one key: a URL (fetched and cached by jose's `createRemoteJWKSet`) or a JWKS object (`createLocalJWKSet`). */
  jwks?: URL | string | JSONWebKeySet;
  /**
   * Accepted `alg` values. `none` is never accepted (an unsigned token is refused whatever this says).
   * @default the key's: HS256/384/512 for a secret, the JWK's `alg`, RS256–512 and PS256–512 for an RSA key, ES256/384/512 by an EC key's curve, EdDSA/Ed25519 for an Ed25519 key; with `jwks`, jose's choice of key by the token's `alg` and `kid`
   */
  algorithms?: readonly string[];
  /** The cookie the token is read from when the request has no `Bearer` header; `false`: never from a cookie. @default 'sse_token' */
  cookie?: string | false;
  /** The header holding `Bearer <token>`; `false`: never from a header. @default 'authorization' */
  header?: string | false;
  /** The claim holding `{ subscribe: string[] }`: a claim name, or a path of names. @default 'sse' */
  claim?: string | readonly string[];
  /** Required `iss` (one, or any of several). @default undefined (not checked) */
  issuer?: string | readonly string[];
  /** Required `aud` (one, or any of several). @default undefined (not checked) */
  audience?: string | readonly string[];
  /** Seconds of clock skew allowed on `exp` and `nbf`; the stream then ends that much after `exp`. @default 0 */
  clockToleranceSec?: number;
  /** Longest token read, in characters: a longer one is refused (401) before it is parsed. @default 8192 */
  maxTokenLength?: number;
  /** What others may see of the user (`user.info`, checked as any: a JSON value of at most 4 KB, else 400), from the verified claims. @default undefined (no info) */
  info?: (claims: JWTPayload) => JsonValue | undefined;
}

/**
 * The defaults of {@link JwtAuthorizeOptions}.
 * @example
 * ```ts
 * ctx.cookies.set(DEFAULT_JWT_AUTHORIZE.cookie, token, { httpOnly: true, secure: true, sameSite: 'strict' });
 * ```
 */
export const DEFAULT_JWT_AUTHORIZE = { cookie: 'sse_token', header: 'authorization', claim: 'sse', clockToleranceSec: 0, maxTokenLength: 8192 } as const;

/**
 * What {@link jwtAuthorize} grants: the stream's user (`sub`, and `info` if asked), its end
 * (`exp`, in ms, plus the clock tolerance) and the verified claims (for your own checks).
 * @example
 * ```ts
 * const grant: JwtGrant = await jwt(ctx, topics);
 * console.log(grant.user.id, new Date(grant.expiresAt), grant.claims.iss);
 * ```
 */
export interface JwtGrant extends StreamGrant {
  readonly user: SseUser;
  readonly expiresAt: number;
  readonly claims: JWTPayload;
}

/**
 * An `authorize` that verifies a JWT: resolves to a {@link JwtGrant}, or rejects with
 * {@link InvalidTokenError} (401) or {@link TopicNotGrantedError} (403).
 * @example
 * ```ts
 * const jwt: JwtAuthorize = jwtAuthorize({ key: secret });
 * app.use(sse(system, { authorize: jwt }));
 * ```
 */
export type JwtAuthorize = (ctx: ParameterizedContext, topics: readonly string[]) => Promise<JwtGrant>;

/**
 * Why a token was refused (for logs; the client reads only `Unauthorized`): no token, one longer
 * than `maxTokenLength`, or one that did not verify (jose's error is the `cause`).
 * @example
 * ```ts
 * const counts: Record<InvalidTokenReason, number> = { missing: 0, 'too-long': 0, invalid: 0 };
 * app.on('error', (error) => {
 *   if (error instanceof InvalidTokenError) counts[error.reason] += 1;
 * });
 * ```
 */
export type InvalidTokenReason = 'missing' | 'too-long' | 'invalid';

/**
 * No token, a token too long to read, or one that does not verify (signature, `alg`, `exp`, `nbf`,
 * `iss`, `aud`, a missing `sub` or `exp`). Answered 401 `Unauthorized` with `WWW-Authenticate:
 * Bearer`; why is in `reason` and `cause` (jose's error), for `app.on('error')`, never in the answer.
 * @example
 * ```ts
 * app.on('error', (error) => {
 *   if (error instanceof InvalidTokenError) log.info({ reason: error.reason, cause: error.cause }, 'SSE token refused');
 * });
 * ```
 */
export class InvalidTokenError extends HttpFacingError {
  override readonly name = 'InvalidTokenError';
  readonly status = 401;
  /** `WWW-Authenticate` as RFC 6750 has it: `error="invalid_token"` once a token was sent, nothing more. */
  readonly headers: Record<string, string>;
  constructor(
    readonly reason: InvalidTokenReason,
    cause?: unknown,
  ) {
    super('Unauthorized', cause === undefined ? undefined : { cause });
    this.headers = { 'WWW-Authenticate': reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"' };
  }
}

/**
 * A valid token whose claim does not allow every topic asked for (or has no such claim).
 * Answered 403 `Forbidden`; the topics refused are in `refused`, for logs, never in the answer.
 * @example
 * ```ts
 * app.on('error', (error) => {
 *   if (error instanceof TopicNotGrantedError) log.warn({ user: error.user, refused: error.refused }, 'SSE topics not in the token');
 * });
 * ```
 */
export class TopicNotGrantedError extends HttpFacingError {
  override readonly name = 'TopicNotGrantedError';
  readonly status = 403;
  constructor(
    /** The topics (as `authorize` got them: expanded) that no allowed pattern covers. */
    readonly refused: readonly string[],
    /** The token's `sub`. */
    readonly user: string,
  ) {
    super('Forbidden');
  }
}

/**
 * Verifies a JWT with jose (`jwtVerify`: signature, `alg`, `exp`, `nbf`, `iss`, `aud`) and allows
 * the topics its claim lists: `{ "sse": { "subscribe": ["room.*", "user.42"] } }`. The token is the
 * `Authorization: Bearer` header's when there is one (the fetch transport of `sse-actors/client`),
 * else the cookie's (a native `EventSource` with `withCredentials`). The stream's user is `sub`; it
 * ends at `exp` with a jittered `retry:`, so the browser comes back with the fresh cookie your page
 * set meanwhile, and resumes with `Last-Event-ID`. A topic asked for must match an allowed pattern;
 * a pattern asked for must be covered by one (see `patternCovers`). `sub` and `exp` are required.
 * @example
 * ```ts
 * app.use(sse(system, { authorize: jwtAuthorize({ key: new TextEncoder().encode(process.env.SSE_JWT_SECRET), audience: 'sse' }) }));
 * app.use((ctx) => ctx.sse(String(ctx.query.topics).split(',')));
 * ```
 */
export function jwtAuthorize(options: JwtAuthorizeOptions): JwtAuthorize {
  const verifyWith = keyOf(options);
  const algorithms = checkAlgorithms(options.algorithms) ?? (options.key === undefined ? undefined : algorithmsOf(options.key));
  const cookie = options.cookie ?? DEFAULT_JWT_AUTHORIZE.cookie;
  const header = options.header ?? DEFAULT_JWT_AUTHORIZE.header;
  const claimPath = typeof options.claim === 'string' || options.claim === undefined ? [options.claim ?? DEFAULT_JWT_AUTHORIZE.claim] : [...options.claim];
  const clockToleranceSec = options.clockToleranceSec ?? DEFAULT_JWT_AUTHORIZE.clockToleranceSec;
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_JWT_AUTHORIZE.maxTokenLength;
  if (!(Number.isFinite(clockToleranceSec) && clockToleranceSec >= 0)) throw new TypeError(`jwtAuthorize clockToleranceSec must be a non-negative number of seconds, got ${String(clockToleranceSec)}`);
  if (!(Number.isInteger(maxTokenLength) && maxTokenLength > 0)) throw new TypeError(`jwtAuthorize maxTokenLength must be a positive integer, got ${String(maxTokenLength)}`);
  if (claimPath.length === 0 || claimPath.some((name) => typeof name !== 'string' || name === '')) throw new TypeError('jwtAuthorize claim must be a claim name or a non-empty path of names');
  const verifyOptions = {
    algorithms,
    issuer: options.issuer === undefined ? undefined : typeof options.issuer === 'string' ? options.issuer : [...options.issuer],
    audience: options.audience === undefined ? undefined : typeof options.audience === 'string' ? options.audience : [...options.audience],
    clockTolerance: clockToleranceSec,
    requiredClaims: ['sub', 'exp'],
  };

  return async function authorizeJwt(ctx, topics) {
    const token = tokenOf(ctx, header, cookie);
    if (token === undefined) throw new InvalidTokenError('missing');
    if (token.length > maxTokenLength) throw new InvalidTokenError('too-long');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await verifyWith(token, verifyOptions));
    } catch (error) {
      // A key set that cannot be fetched or read is the server's trouble, not the client's: not a 401.
      if (TOKEN_FAULTS.some((fault) => error instanceof fault)) throw new InvalidTokenError('invalid', error);
      throw error;
    }
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub === '' || sub.length > MAX_USER_ID_LENGTH) throw new InvalidTokenError('invalid', new Error(`sub must be a string of 1 to ${MAX_USER_ID_LENGTH} characters`));
    const refused = refusedTopics(allowedPatterns(claims, claimPath), topics);
    if (refused.length > 0) throw new TopicNotGrantedError(refused, sub);
    const info = options.info?.(claims);
    const user: SseUser = info === undefined ? { id: sub } : { id: sub, info };
    return { user, expiresAt: ((claims.exp as number) + clockToleranceSec) * 1000, claims };
  };
}

/** jose's errors that the token causes (anything else, e.g. a key set that cannot be fetched, is the server's). */
const TOKEN_FAULTS = [
  errors.JWSInvalid,
  errors.JWTInvalid,
  errors.JWSSignatureVerificationFailed,
  errors.JWTExpired,
  errors.JWTClaimValidationFailed,
  errors.JOSEAlgNotAllowed,
  errors.JOSENotSupported,
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
];

type Verify = (token: string, options: Parameters<typeof jwtVerify>[2]) => Promise<{ payload: JWTPayload }>;

/** The key (or key set) as one verify function; throws TypeError unless exactly one of `key` and `jwks` is given. */
function keyOf(options: JwtAuthorizeOptions): Verify {
  const { key, jwks } = options;
  if ((key === undefined) === (jwks === undefined)) throw new TypeError('jwtAuthorize needs exactly one of key and jwks');
  if (key !== undefined) {
    if (key instanceof Uint8Array && key.byteLength < 32) throw new TypeError(`jwtAuthorize: a secret key must be at least 32 bytes (256 bits), got ${key.byteLength}`);
    return (token, verifyOptions) => jwtVerify(token, key, verifyOptions);
  }
  const getKey: JWTVerifyGetKey =
    typeof jwks === 'string' || jwks instanceof URL ? createRemoteJWKSet(new URL(jwks)) : createLocalJWKSet(jwks as JSONWebKeySet);
  return (token, verifyOptions) => jwtVerify(token, getKey, verifyOptions);
}

function checkAlgorithms(algorithms: readonly string[] | undefined): string[] | undefined {
  if (algorithms === undefined) return undefined;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((alg) => typeof alg !== 'string' || alg === '')) {
    throw new TypeError('jwtAuthorize algorithms must be a non-empty list of JWS algorithm names (e.g. ["HS256"], ["ES256"])');
  }
  if (algorithms.some((alg) => alg.toLowerCase() === 'none')) throw new TypeError('jwtAuthorize never accepts alg "none": an unsigned token proves nothing');
  return [...algorithms];
}

/** The bearer token of the header when there is one, else the cookie's; undefined when neither has one. */
function tokenOf(ctx: ParameterizedContext, header: string | false, cookie: string | false): string | undefined {
  if (header !== false) {
    const value = ctx.get(header);
    const match = /^Bearer +(\S+) *$/i.exec(value);
    if (match) return match[1];
  }
  if (cookie === false) return undefined;
  try {
    // Never as one of Koa's signed cookies, whatever `app.keys` says: the JWT carries its own signature.
    const value = ctx.cookies.get(cookie, { signed: false });
    return value === undefined || value === '' ? undefined : value;
  } catch {
    return undefined; // a cookie header that cannot be read has no token
  }
}

/** The claim's `subscribe` patterns; none (so every topic is refused) when the claim is missing or not shaped so. */
function allowedPatterns(claims: JWTPayload, path: readonly string[]): readonly string[] {
  let at: unknown = claims;
  for (const name of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, name)) return [];
    at = (at as Record<string, unknown>)[name];
  }
  const subscribe = typeof at === 'object' && at !== null && Object.hasOwn(at, 'subscribe') ? (at as { subscribe: unknown }).subscribe : undefined;
  if (!Array.isArray(subscribe)) return [];
  return subscribe.filter((pattern): pattern is string => typeof pattern === 'string' && pattern !== '');
}

/** The topics (names and the live patterns a request kept) that no allowed pattern covers. */
function refusedTopics(allowed: readonly string[], topics: readonly string[]): string[] {
  return topics.filter((topic) => !allowed.some((pattern) => (isPattern(topic) ? patternCovers(pattern, topic) : matchTopic(pattern, topic))));
}
