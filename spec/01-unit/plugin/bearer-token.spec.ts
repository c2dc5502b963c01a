import { expect } from 'chai';
import { extractBearerToken } from '../../../plugin/extract/bearer-token';

const JWT = 'aaa.bbb.ccc';

describe('extracting the bearer token', () => {
  it('finds the token after a Bearer scheme in any letter case', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'BeArEr']) {
      expect(extractBearerToken({ authorization: [`${scheme} ${JWT}`] }, 'authorization')).to.deep.equal({ kind: 'token', token: JWT });
    }
  });

  it('reports no credentials when the header is missing, empty or uses another scheme', () => {
    expect(extractBearerToken({}, 'authorization').kind).to.equal('absent');
    expect(extractBearerToken({ authorization: ['  '] }, 'authorization').kind).to.equal('absent');
    expect(extractBearerToken({ authorization: ['Basic dXNlcjpwYXNz'] }, 'authorization').kind).to.equal('absent');
    expect(extractBearerToken({ authorization: [JWT] }, 'authorization').kind).to.equal('absent');
    expect(extractBearerToken({ authorization: ['BearerX ' + JWT] }, 'authorization').kind).to.equal('absent');
  });

  it('refuses an empty bearer token as an invalid request', () => {
    for (const value of ['Bearer', 'Bearer ', 'bearer   ']) {
      expect(extractBearerToken({ authorization: [value] }, 'authorization')).to.include({ kind: 'invalid_request' });
    }
  });

  it('refuses two credentials, in two header lines or in one', () => {
    expect(extractBearerToken({ authorization: [`Bearer ${JWT}`, `Bearer ${JWT}`] }, 'authorization').kind).to.equal('invalid_request');
    expect(extractBearerToken({ authorization: [`Bearer ${JWT} ${JWT}`] }, 'authorization').kind).to.equal('invalid_request');
    expect(extractBearerToken({ authorization: [`Bearer\t${JWT}`] }, 'authorization').kind).to.equal('invalid_request');
  });

  it('tolerates several spaces after the scheme and surrounding whitespace', () => {
    expect(extractBearerToken({ authorization: [`  Bearer   ${JWT} `] }, 'authorization')).to.deep.equal({ kind: 'token', token: JWT });
  });

  it('reads the configured header and ignores a __proto__ header name', () => {
    const headers = JSON.parse(`{"__proto__": ["Bearer ${JWT}"], "x-token": ["Bearer ${JWT}"]}`);
    expect(extractBearerToken(headers, 'x-token')).to.deep.equal({ kind: 'token', token: JWT });
    expect(extractBearerToken(headers, 'authorization').kind).to.equal('absent');
  });
});
