import { expect } from 'chai';
import { get, useDevIssuer } from './helpers';

describe('dev issuer: discovery documents', () => {
  const dev = useDevIssuer();

  it('serves an Okta custom-AS OpenID configuration naming its issuer, endpoints and key set', async () => {
    const res = await get(`${dev().issuer}/.well-known/openid-configuration`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/json');
    const doc = res.json() as Record<string, unknown>;
    expect(doc).to.include({
      issuer: dev().issuer,
      jwks_uri: dev().jwksUri,
      authorization_endpoint: `${dev().issuer}/v1/authorize`,
      token_endpoint: `${dev().issuer}/v1/token`,
      userinfo_endpoint: `${dev().issuer}/v1/userinfo`,
      introspection_endpoint: `${dev().issuer}/v1/introspect`,
    });
    expect(doc.response_types_supported).to.include.members(['code', 'id_token', 'code id_token']);
    expect(doc.id_token_signing_alg_values_supported).to.deep.equal(['RS256']);
    expect(doc.grant_types_supported).to.include('client_credentials');
  });

  it('sends Okta-like caching headers (max-age=86400, must-revalidate) and a current Date', async () => {
    const res = await get(`${dev().issuer}/.well-known/openid-configuration`);
    expect(res.headers.get('cache-control')).to.equal('max-age=86400, must-revalidate');
    const date = Date.parse(res.headers.get('date') ?? '');
    expect(Math.abs(date - Date.now())).to.be.below(5000);
    expect(Date.parse(res.headers.get('expires') ?? '') - date).to.be.within(86399_000, 86401_000);
  });

  it('serves the OAuth metadata at the legacy path and at the RFC 8414 path, without OIDC members', async () => {
    const legacy = await get(`${dev().issuer}/.well-known/oauth-authorization-server`);
    const rfc8414 = await get(`${dev().localBaseUrl}/.well-known/oauth-authorization-server/oauth2/default`);
    expect(legacy.status).to.equal(200);
    expect(rfc8414.json()).to.deep.equal(legacy.json());
    const doc = legacy.json() as Record<string, unknown>;
    expect(doc).to.include({ issuer: dev().issuer, jwks_uri: dev().jwksUri });
    expect(doc).not.to.have.property('userinfo_endpoint');
  });

  it('ignores a query string such as ?client_id on the discovery path', async () => {
    const res = await get(`${dev().issuer}/.well-known/openid-configuration?client_id=0oa1`);
    expect(res.status).to.equal(200);
  });

  it('answers 404 with an Okta error object for an unknown path', async () => {
    const res = await get(`${dev().issuer}/v1/nothing-here`);
    expect(res.status).to.equal(404);
    expect(res.json()).to.include({ errorCode: 'E0000022' });
  });

  describe('behind docker networking (publicBaseUrl)', () => {
    const behind = useDevIssuer({ publicBaseUrl: 'http://issuer:9000/', authServerPath: 'oauth2/aus1dev/' });

    it('names the public issuer in documents and tokens while listening on loopback', async () => {
      expect(behind().issuer).to.equal('http://issuer:9000/oauth2/aus1dev');
      expect(behind().jwksUri).to.equal('http://issuer:9000/oauth2/aus1dev/v1/keys');
      const res = await get(`${behind().localBaseUrl}/oauth2/aus1dev/.well-known/openid-configuration`);
      expect(res.json()).to.include({ issuer: behind().issuer, jwks_uri: behind().jwksUri });
      expect(behind().localBaseUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    });
  });
});
