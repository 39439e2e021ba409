import { Authenticator } from './authenticator.js';
import type { CollectorConfig } from './config.js';

/**
 * An authenticator over the given API keys and the config's JWT settings (JWKS, issuer, audience, tenant
 * claim), optionally requiring a claim: agents and analysts differ only in their keys and that claim.
 *
 * @example
 * const analysts = configAuthenticator(config, config.analystKeys, { name: 'bulwark_role', value: 'analyst' });
 */
export function configAuthenticator(
  config: CollectorConfig,
  apiKeys: readonly string[],
  requiredClaim?: { name: string; value: string },
): Authenticator {
  return new Authenticator({
    apiKeys,
    tenantId: config.tenantId,
    jwks: config.jwks as ConstructorParameters<typeof Authenticator>[0]['jwks'],
    jwksFile: config.jwksFile,
    jwtIssuer: config.jwtIssuer,
    jwtAudience: config.jwtAudience,
    jwtTenantClaim: config.jwtTenantClaim,
    requiredClaim,
  });
}
