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

  it('gives the plain-Bearer shortcut\'s verdict to exactly the values /^Bearer (token68)$/ matches', () => {
    // Random values over the characters at the shortcut's edges: padding, spaces, tabs, other schemes, non-ASCII.
    const alphabet = ['a', 'Z', '9', '-', '.', '_', '~', '+', '/', '=', ' ', '\t', ',', '"', '\u00e9', '\u0100', 'Bearer ', 'bearer '];
    const plain = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 20_000; n++) {
      let value = next() % 4 === 0 ? '' : 'Bearer ';
      for (let len = next() % 8; len > 0; len--) value += alphabet[next() % alphabet.length];
      const matched = plain.exec(value);
      const got = extractBearerToken({ authorization: [value] }, 'authorization');
      if (matched !== null) expect(got, JSON.stringify(value)).to.deep.equal({ kind: 'token', token: matched[1] });
    }
  });
});
