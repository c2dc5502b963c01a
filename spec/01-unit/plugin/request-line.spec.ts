// What okta-jwt treats as a request line that may hold a token (plugin/log/request-line.ts): nginx
// would append it to any kong.log line of the request.
import { expect } from 'chai';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { holdsJwtShape, requestLineMayHoldToken } from '../../../plugin/log/request-line';
import { TEST_AUDIENCE, TEST_ISSUER } from '../../support/test-keys';
import { expectLinearGrowth } from '../../support/linear-growth';

const HEADER = 'eyJhbGciOiJSUzI1NiJ9'; // {"alg":"RS256"}
const TOKEN = `${HEADER}.eyJzdWIiOiJ4In0.c2ln`;

function config(extra: Record<string, unknown> = {}) {
  return normaliseConfig({ issuer: TEST_ISSUER, audiences: [TEST_AUDIENCE], ...extra });
}

describe('okta-jwt: request lines that may hold a token', function () {
  it('finds a JWT-shaped value anywhere: in the path, the query, with percent-encoded dots, unsigned (empty third segment), a JWE with an empty key', () => {
    for (const text of [`/a?x=${TOKEN}`, `/a?x=${HEADER}..aXY.Y2lwaGVy.dGFn`, `/${TOKEN}/b`, `/a?x=${TOKEN.replace(/\./g, '%2E')}`, `/a?x=${HEADER}.eyJ9.`, `/a?x=${TOKEN.replace(/\./g, '%2e')}&y`, `x..${TOKEN}`]) {
      expect(holdsJwtShape(text), text).to.equal(true);
    }
  });

  it('leaves ordinary request lines loggable: versions, addresses, file names, a short first segment, a single dot', () => {
    for (const text of ['/a?v=1.2.3', '/a?ip=10.0.0.1', '/files/archive.tar.gz', `/a?x=eyJhbGciOiJ9.eyJ9.c2ln`, `/a?x=${HEADER}.e30`, `/a?x=${HEADER}.e30&y=.`, '/a?x=%zz.%2']) {
      expect(holdsJwtShape(text), text).to.equal(false);
    }
  });

  it('the configured token parameter, however its value looks, and a JWT-shaped Host header count too', () => {
    const withParam = config({ token_query_param: 'access_token' });
    expect(requestLineMayHoldToken('/a?access_token=opaque', {}, withParam)).to.equal(true);
    expect(requestLineMayHoldToken('/a?access%5Ftoken=opaque', {}, withParam)).to.equal(true);
    expect(requestLineMayHoldToken('/a?other=opaque', {}, withParam)).to.equal(false);
    expect(requestLineMayHoldToken('/a?access_token=opaque', {}, config())).to.equal(false);
    expect(requestLineMayHoldToken('/a', { host: [TOKEN] }, config())).to.equal(true);
    expect(requestLineMayHoldToken('/a', { host: ['api.example.com'] }, config())).to.equal(false);
  });

  it('a Referer holding a JWT-shaped value or the configured token parameter counts too (nginx logs it as referrer)', () => {
    const withParam = config({ token_query_param: 'access_token' });
    expect(requestLineMayHoldToken('/a', { referer: [`https://app.example.com/cb?code=1&access_token=${TOKEN}`] }, config())).to.equal(true);
    expect(requestLineMayHoldToken('/a', { referer: ['https://app.example.com/', `https://app.example.com/#${TOKEN}`] }, config())).to.equal(true);
    expect(requestLineMayHoldToken('/a', { referer: ['https://app.example.com/cb?access_token=opaque'] }, withParam)).to.equal(true);
    expect(requestLineMayHoldToken('/a', { referer: ['https://app.example.com/cb?page=2'] }, withParam)).to.equal(false);
    expect(requestLineMayHoldToken('/a', { referer: [true] }, withParam)).to.equal(false);
  });

  it('takes linear time on worst-case input (dot runs, %2E runs, long almost-headers)', () => {
    for (const unit of ['.', '%2E', 'a.', `${HEADER.slice(0, 13)}.`, `${HEADER}.a%`]) {
      expect(holdsJwtShape(unit.repeat(Math.ceil(400_000 / unit.length))), unit).to.equal(false);
      expectLinearGrowth(unit, (size) => {
        const text = unit.repeat(Math.ceil(size / unit.length));
        return () => holdsJwtShape(text);
      }, 25_000);
    }
  });
});
