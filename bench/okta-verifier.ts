// @okta/jwt-verifier configured for okta-jwt's job (RS256, iss, aud via verifyAccessToken, exp, the
// required scope), shared by the plugin of case (d) and the verification micro-benchmark.
// The verifier refuses non-https issuers unless its documented `testing.disableHttpsCheck` option is
// set; that flag skips only the issuer URL's scheme check, not any token check.
import OktaJwtVerifier from '@okta/jwt-verifier';
import { REQUIRED_SCOPE } from './claim-mapping';

export function newOktaVerifier(issuer: string): OktaJwtVerifier {
  // The verifier prints a bare "Warning: HTTPS check is disabled" for the flag: say it is the comparison's.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warn('[bench] the comparison verifier (@okta/jwt-verifier, case d, local http issuer):', ...args);
  try {
    return new OktaJwtVerifier({
      issuer,
      assertClaims: { 'scp.includes': [REQUIRED_SCOPE] },
      testing: { disableHttpsCheck: issuer.startsWith('http://') },
    });
  } finally {
    console.warn = warn;
  }
}
