import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { isSafeId } from '@bulwark/contracts';
import {
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';

/** Who is calling. `tenantId` undefined means authentication is off (loopback): the data names the tenant. */
export interface Principal {
  tenantId: string | undefined;
  method: 'api_key' | 'jwt' | 'none';
  subject?: string;
}

/** Outcome of authenticating one request. */
export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; code: string; message: string };

export interface AuthenticatorOptions {
  apiKeys: readonly string[];
  /** Tenant of API-key callers. */
  tenantId: string;
  jwks?: JSONWebKeySet | undefined;
  jwksFile?: string | undefined;
  jwtIssuer?: string | undefined;
  jwtAudience?: string | undefined;
  jwtTenantClaim: string;
  /**
   * A claim a token must carry to be accepted here, e.g. `{ name: 'bulwark_role', value: 'analyst' }`: the
   * claim equals the value, is an array holding it, or a space-separated list (OAuth `scope`) naming it.
   */
  requiredClaim?: { name: string; value: string } | undefined;
  /** Clock for the lifetime rule, injectable for tests. Epoch seconds. */
  nowSeconds?: () => number;
}

/** Longest accepted token lifetime, both as exp − iat and as exp − now. Longer-lived tokens are refused. */
export const MAX_TOKEN_LIFETIME_SECONDS = 48 * 3600;
/** Clock difference tolerated between the token issuer and this collector. */
export const CLOCK_SKEW_SECONDS = 60;
const CACHE_MAX = 10_000;

const digest = (s: string) => createHash('sha256').update(s).digest();
const looksLikeJwt = (t: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(t);

/** A claim equal to `value`, an array holding it, or a space-separated list (OAuth `scope`) naming it. */
function claimHolds(claim: unknown, value: string): boolean {
  if (typeof claim === 'string') return claim === value || claim.split(' ').includes(value);
  return Array.isArray(claim) && claim.includes(value);
}

function fail(status: 401 | 403, code: string, message: string): AuthResult {
  return { ok: false, status, code, message };
}

/**
 * Single-tenant API keys and multi-tenant bearer JWTs (verified with `jose` against a JWKS). Keys are compared
 * by SHA-256 digest in constant time; verified tokens are cached until they expire so the verdict path pays
 * the signature check once per token.
 *
 * @example
 * const auth = new Authenticator({ apiKeys: ['k'.repeat(32)], tenantId: 'acme', jwtTenantClaim: 'tenant' });
 * const res = await auth.authenticate(req.headers);
 * if (!res.ok) return reply(res.status, { error: { code: res.code, message: res.message } });
 */
export class Authenticator {
  /** False when no key and no JWKS is configured: every caller is let in (loopback only, see config). */
  readonly enabled: boolean;
  private readonly keyDigests: Buffer[];
  private readonly tenantId: string;
  private readonly keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  private readonly issuer: string | undefined;
  private readonly audience: string | undefined;
  private readonly tenantClaim: string;
  private readonly requiredClaim: { name: string; value: string } | undefined;
  private readonly nowSeconds: () => number;
  private readonly cache = new Map<string, { principal: Principal; expSeconds: number }>();

  constructor(options: AuthenticatorOptions) {
    this.keyDigests = options.apiKeys.map(digest);
    this.tenantId = options.tenantId;
    let jwks = options.jwks;
    if (!jwks && options.jwksFile)
      jwks = JSON.parse(fs.readFileSync(options.jwksFile, 'utf8')) as JSONWebKeySet;
    this.keySet = jwks ? createLocalJWKSet(jwks) : undefined;
    this.issuer = options.jwtIssuer;
    this.audience = options.jwtAudience;
    this.tenantClaim = options.jwtTenantClaim;
    this.requiredClaim = options.requiredClaim;
    this.nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    this.enabled = this.keyDigests.length > 0 || this.keySet !== undefined;
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<AuthResult> {
    if (!this.enabled) return { ok: true, principal: { tenantId: undefined, method: 'none' } };
    const credential = this.credential(headers);
    if (!credential) {
      return fail(
        401,
        'missing_credentials',
        'credentials required: send "Authorization: Bearer <api key or token>" or "x-api-key: <api key>"',
      );
    }
    if (this.keyDigests.length > 0 && this.matchesKey(credential.value)) {
      return { ok: true, principal: { tenantId: this.tenantId, method: 'api_key' } };
    }
    if (credential.scheme === 'bearer' && this.keySet && looksLikeJwt(credential.value)) {
      return this.verifyToken(credential.value);
    }
    return fail(401, 'invalid_credentials', 'the API key or token is not valid for this collector');
  }

  private credential(
    headers: IncomingHttpHeaders,
  ): { scheme: 'bearer' | 'api_key'; value: string } | undefined {
    const auth = headers.authorization;
    if (typeof auth === 'string' && auth.trim() !== '') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      return m ? { scheme: 'bearer', value: m[1]! } : { scheme: 'bearer', value: '' };
    }
    const key = headers['x-api-key'];
    if (typeof key === 'string' && key.trim() !== '') return { scheme: 'api_key', value: key.trim() };
    return undefined;
  }

  private matchesKey(value: string): boolean {
    if (value === '') return false;
    const d = digest(value);
    let match = false;
    // Compare with every key so timing does not say which one (or how many) matched.
    for (const k of this.keyDigests) if (timingSafeEqual(k, d)) match = true;
    return match;
  }

  private async verifyToken(token: string): Promise<AuthResult> {
    const now = this.nowSeconds();
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.expSeconds > now) return { ok: true, principal: hit.principal };
      this.cache.delete(token);
      return fail(401, 'token_expired', 'the token has expired: get a new one');
    }
    let payload: JWTPayload;
    try {
      const options: Parameters<typeof jwtVerify>[2] = {
        requiredClaims: ['exp'],
        currentDate: new Date(now * 1000),
      };
      if (this.issuer) options.issuer = this.issuer;
      if (this.audience) options.audience = this.audience;
      ({ payload } = await jwtVerify(token, this.keySet!, options));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        return fail(401, 'token_expired', 'the token has expired: get a new one');
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        return fail(
          401,
          'invalid_token',
          `the token is not acceptable: ${err.message} (claim "${err.claim}")`,
        );
      }
      if (err instanceof joseErrors.JWKSNoMatchingKey) {
        return fail(401, 'invalid_token', 'the token is not signed by a key in the configured JWKS');
      }
      return fail(401, 'invalid_token', `the token is not valid: ${(err as Error).message}`);
    }
    const exp = payload.exp!;
    // Both ends are checked against our clock, not only exp − iat: a token "issued" ten years ahead with a
    // one-hour exp − iat would otherwise stay valid for ten years.
    if (payload.iat !== undefined && payload.iat > now + CLOCK_SKEW_SECONDS) {
      return fail(
        401,
        'token_issued_in_future',
        `the token's iat is ${payload.iat - now} s in the future (more than ${CLOCK_SKEW_SECONDS} s of clock skew): check the issuer's clock`,
      );
    }
    if (payload.iat !== undefined && exp - payload.iat > MAX_TOKEN_LIFETIME_SECONDS) {
      return fail(
        401,
        'token_lifetime_too_long',
        'the token lives longer than 48 h (exp - iat): issue shorter-lived tokens',
      );
    }
    if (exp - now > MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
      return fail(
        401,
        'token_lifetime_too_long',
        'the token expires more than 48 h from now: issue shorter-lived tokens',
      );
    }
    const tenant = payload[this.tenantClaim];
    if (typeof tenant !== 'string' || tenant === '' || tenant.length > 512) {
      return fail(403, 'no_tenant', `the token has no "${this.tenantClaim}" claim naming the tenant`);
    }
    // NUL separates tenant and session in keys: a tenant claim with control characters could alias another.
    if (!isSafeId(tenant)) {
      return fail(
        403,
        'invalid_tenant',
        `the token's "${this.tenantClaim}" claim contains control characters or lone surrogates`,
      );
    }
    if (this.requiredClaim && !claimHolds(payload[this.requiredClaim.name], this.requiredClaim.value)) {
      return fail(
        403,
        'claim_required',
        `the token's "${this.requiredClaim.name}" claim does not grant "${this.requiredClaim.value}"`,
      );
    }
    const principal: Principal = { tenantId: tenant, method: 'jwt' };
    if (typeof payload.sub === 'string') principal.subject = payload.sub;
    if (this.cache.size >= CACHE_MAX) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, { principal, expSeconds: exp });
    return { ok: true, principal };
  }
}
