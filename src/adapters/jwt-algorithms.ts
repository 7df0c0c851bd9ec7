import { KeyObject as NodeKeyObject } from 'node:crypto';
import type { CryptoKey, JWK, KeyObject } from 'jose';

const HS = ['HS256', 'HS384', 'HS512'];
const RS = ['RS256', 'RS384', 'RS512'];
const PS = ['PS256', 'PS384', 'PS512'];
const ED = ['EdDSA', 'Ed25519'];
const BY_CURVE: Record<string, string> = { 'P-256': 'ES256', prime256v1: 'ES256', 'P-384': 'ES384', secp384r1: 'ES384', 'P-521': 'ES512', secp521r1: 'ES512' };
const BY_HASH: Record<string, string> = { 'SHA-256': '256', 'SHA-384': '384', 'SHA-512': '512' };

/**
 * The JWS algorithms a verification key can check, so that a token naming another `alg` is refused
 * as such (jose's `JOSEAlgNotAllowed`, a 401) before jose tries the key with it (which throws a
 * TypeError, a 500, for an RS256 token against a secret). Undefined when the key does not say.
 */
export function algorithmsOf(key: CryptoKey | KeyObject | Uint8Array | JWK): string[] | undefined {
  if (key instanceof Uint8Array) return HS;
  if (isCryptoKey(key)) {
    const { name, hash, namedCurve } = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string };
    const bits = hash ? BY_HASH[hash.name] : undefined;
    if (name === 'HMAC') return bits ? [`HS${bits}`] : HS;
    if (name === 'RSASSA-PKCS1-v1_5') return bits ? [`RS${bits}`] : RS;
    if (name === 'RSA-PSS') return bits ? [`PS${bits}`] : PS;
    const ec = namedCurve === undefined ? undefined : BY_CURVE[namedCurve];
    if (name === 'ECDSA') return ec === undefined ? undefined : [ec];
    if (name === 'Ed25519' || name === 'EdDSA') return ED;
    return undefined;
  }
  if (isKeyObject(key)) {
    if (key.type === 'secret') return HS;
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const ec = curve === undefined ? undefined : BY_CURVE[curve];
    switch (key.asymmetricKeyType) {
      case 'rsa': return [...RS, ...PS];
      case 'rsa-pss': return PS;
      case 'ec': return ec === undefined ? undefined : [ec];
      case 'ed25519': return ED;
      default: return undefined;
    }
  }
  const jwk = key as JWK;
  if (typeof jwk.alg === 'string') return [jwk.alg];
  if (jwk.kty === 'oct') return HS;
  if (jwk.kty === 'RSA') return [...RS, ...PS];
  const ec = typeof jwk.crv === 'string' ? BY_CURVE[jwk.crv] : undefined;
  if (jwk.kty === 'EC') return ec === undefined ? undefined : [ec];
  if (jwk.kty === 'OKP') return ED;
  return undefined;
}

/** Web Crypto's key class: a global in Node 20 (not on `crypto.webcrypto`), and in browsers and Deno. */
const WebCryptoKey = (globalThis as { CryptoKey?: abstract new () => CryptoKey }).CryptoKey;

function isCryptoKey(key: unknown): key is CryptoKey {
  return WebCryptoKey !== undefined && key instanceof WebCryptoKey;
}

function isKeyObject(key: unknown): key is NodeKeyObject {
  return key instanceof NodeKeyObject;
}
