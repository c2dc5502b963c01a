import { expect } from 'chai';
import { headerValueFor, MAX_HEADER_VALUE_BYTES } from '../../../plugin/forward/claim-headers';

const map = (claim: string) => ({ claim, path: claim.split('.'), header: 'X-Test' });

describe('mapping claims to upstream header values', () => {
  it('writes strings, numbers and booleans as text', () => {
    expect(headerValueFor({ sub: 'alice' }, map('sub'))).to.deep.equal({ kind: 'value', value: 'alice' });
    expect(headerValueFor({ n: 42 }, map('n'))).to.deep.equal({ kind: 'value', value: '42' });
    expect(headerValueFor({ b: false }, map('b'))).to.deep.equal({ kind: 'value', value: 'false' });
  });

  it('joins arrays with ", " and writes objects as compact JSON', () => {
    expect(headerValueFor({ scp: ['a', 'b', 3] }, map('scp'))).to.deep.equal({ kind: 'value', value: 'a, b, 3' });
    expect(headerValueFor({ o: { a: 1, b: [true] } }, map('o'))).to.deep.equal({ kind: 'value', value: '{"a":1,"b":[true]}' });
  });

  it('follows dot paths into nested claims', () => {
    expect(headerValueFor({ profile: { email: 'a@b.c' } }, map('profile.email'))).to.deep.equal({ kind: 'value', value: 'a@b.c' });
    expect(headerValueFor({ profile: 'flat' }, map('profile.email'))).to.deep.equal({ kind: 'absent' });
  });

  it('treats missing, null and empty claims as absent', () => {
    expect(headerValueFor({}, map('sub')).kind).to.equal('absent');
    expect(headerValueFor({ sub: null }, map('sub')).kind).to.equal('absent');
    expect(headerValueFor({ sub: '' }, map('sub')).kind).to.equal('absent');
  });

  it('never reads inherited properties such as constructor or __proto__', () => {
    expect(headerValueFor({}, map('constructor')).kind).to.equal('absent');
    expect(headerValueFor({}, map('__proto__')).kind).to.equal('absent');
    expect(headerValueFor({ a: {} }, map('a.toString')).kind).to.equal('absent');
  });

  it('refuses values with CR, LF or other control characters', () => {
    for (const v of ['u\r\nX-Admin: true', 'a\nb', 'nul\u0000', 'del\u007f', 'tab\t']) {
      expect(headerValueFor({ sub: v }, map('sub')).kind, JSON.stringify(v)).to.equal('unsafe');
    }
    expect(headerValueFor({ arr: ['ok', 'bad\r\n'] }, map('arr')).kind).to.equal('unsafe');
  });

  it('percent-encodes non-ASCII text and "%" so the original is recoverable', () => {
    const out = headerValueFor({ name: 'José 100% \u202e' }, map('name'));
    expect(out).to.deep.equal({ kind: 'value', value: 'Jos%C3%A9 100%25 %E2%80%AE' });
    expect(decodeURIComponent((out as { value: string }).value)).to.equal('José 100% \u202e');
  });

  it('percent-encodes leading and trailing spaces, which HTTP would strip in transit', () => {
    expect(headerValueFor({ g: ['', ''] }, map('g'))).to.deep.equal({ kind: 'value', value: ',%20' });
    expect(headerValueFor({ sub: '  a b ' }, map('sub'))).to.deep.equal({ kind: 'value', value: '%20%20a b%20' });
    expect(headerValueFor({ sub: '   ' }, map('sub'))).to.deep.equal({ kind: 'value', value: '%20%20%20' });
  });

  it('refuses values it cannot encode or that exceed the size cap, rather than truncating', () => {
    expect(headerValueFor({ s: 'a\ud800b' }, map('s')).kind).to.equal('unsafe');
    expect(headerValueFor({ s: 'x'.repeat(MAX_HEADER_VALUE_BYTES + 1) }, map('s')).kind).to.equal('unsafe');
    expect(headerValueFor({ s: 'x'.repeat(MAX_HEADER_VALUE_BYTES) }, map('s')).kind).to.equal('value');
  });
});
