// Request/header details the double reproduces from nginx/Kong (batch2 10, 14, 18–20).
import { expect } from 'chai';
import { headerLineTooLong, normalizePath, parseQuery, percentEncodeHeaderName, percentEncodeHeaderValue } from '../../kong-double/http-utils';

describe('kong-double http-utils', () => {
  it('percent-encodes CR/LF in header values and space/colon in header names like OpenResty', () => {
    expect(percentEncodeHeaderValue('a\r\nX-Injected: 1')).to.equal('a%0D%0AX-Injected: 1');
    expect(percentEncodeHeaderValue('b\nX')).to.equal('b%0AX');
    expect(percentEncodeHeaderValue('tab\tok')).to.equal('tab\tok');
    expect(percentEncodeHeaderName('X Bad')).to.equal('X%20Bad');
    expect(percentEncodeHeaderName('X:Bad')).to.equal('X%3ABad');
    expect(percentEncodeHeaderName('X-Good_1')).to.equal('X-Good_1');
  });

  it('normalises paths as kong.request.get_path does', () => {
    expect(normalizePath('/p2/getters/x%20y')).to.equal('/p2/getters/x y');
    expect(normalizePath('/a//b/./c/../d')).to.equal('/a/b/d');
    expect(normalizePath('/a%2fb')).to.equal('/a%2Fb');
  });

  it('parses query args with flags, empty values, repeats and UTF-8', () => {
    expect(parseQuery('a=1&a=2&b=&c&d=%C3%A9', 100)).to.deep.equal({ a: ['1', '2'], b: '', c: true, d: 'é' });
    expect(Object.keys(parseQuery('a=1&b=2&c=3', 2))).to.deep.equal(['a', 'b']);
  });

  it('flags a single header line that does not fit nginx 8 KB header buffer', () => {
    expect(headerLineTooLong(['Authorization', 'Bearer ' + 'x'.repeat(8192)])).to.equal(true);
    expect(headerLineTooLong(['X-Long', 'C'.repeat(8100)])).to.equal(false);
  });
});
