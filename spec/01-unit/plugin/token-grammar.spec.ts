import { expect } from 'chai';
import { isCanonicalCompactJws } from '../../../plugin/verify/token-grammar';

describe('the compact JWS grammar check', () => {
  // "eyJhbGciOiJSUzI1NiJ9" is {"alg":"RS256"}; "e30" is {}.
  const header = 'eyJhbGciOiJSUzI1NiJ9';

  it('accepts three canonical base64url segments', () => {
    expect(isCanonicalCompactJws(`${header}.e30.c2ln`)).to.equal(true);
  });

  it('rejects wrong segment counts and empty segments', () => {
    for (const t of [`${header}.e30`, `${header}.e30.c2ln.x`, `${header}.e30.c2ln.`, `${header}..c2ln`, `.e30.c2ln`, '..', '']) {
      expect(isCanonicalCompactJws(t), t).to.equal(false);
    }
  });

  it('rejects padding, standard-base64 characters and whitespace', () => {
    for (const t of [`${header}.e30.c2ln==`, `${header}.e30.c2+n`, `${header}.e30.c2/n`, `${header}.e30.c2 n`, `${header}.e30.c2\tn`, `${header}.e30%2Ec2ln`]) {
      expect(isCanonicalCompactJws(t), t).to.equal(false);
    }
  });

  it('rejects a segment length no byte string encodes to', () => {
    expect(isCanonicalCompactJws(`${header}.e30.c2lnA`)).to.equal(false);
  });

  it('rejects a last character whose unused bits are not zero', () => {
    // "e30" encodes 2 bytes; its last char "0" (52) has its 2 unused bits clear. "1" (53) does not.
    expect(isCanonicalCompactJws(`${header}.e31.c2ln`)).to.equal(false);
    // "c2k" encodes "si" (3 chars, 2 bytes): "k" (36) has clear low bits; "l" (37) does not.
    expect(isCanonicalCompactJws(`${header}.e30.c2k`)).to.equal(true);
    expect(isCanonicalCompactJws(`${header}.e30.c2l`)).to.equal(false);
    // "cw" encodes one byte ("s"): 4 unused bits; "w" (48) clear, "x" (49) not.
    expect(isCanonicalCompactJws(`${header}.e30.cw`)).to.equal(true);
    expect(isCanonicalCompactJws(`${header}.e30.cx`)).to.equal(false);
  });
});
