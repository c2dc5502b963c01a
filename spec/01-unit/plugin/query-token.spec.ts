import { expect } from 'chai';
import { decodeQueryComponent, scanQueryToken } from '../../../plugin/extract/query-token';

describe('reading the token query parameter from the raw query', () => {
  it('decodes + and %XX as ngx.req.get_uri_args does, keeping invalid escapes', () => {
    expect(decodeQueryComponent('a+b%2Fc%zz%4')).to.equal('a b/c%zz%4');
    expect(decodeQueryComponent('access%5Ftoken')).to.equal('access_token');
  });

  it('sees every occurrence, also past the 100 arguments Kong parses, and encoded names', () => {
    const filler = Array.from({ length: 100 }, (_, i) => `f${i}=1`).join('&');
    expect(scanQueryToken(`${filler}&access_token=forged`, 'access_token')).to.deep.equal({ values: ['forged'], ambiguous: false });
    expect(scanQueryToken('access_token=a&access_token=b', 'access_token').values).to.deep.equal(['a', 'b']);
    expect(scanQueryToken('access%5Ftoken=a&access_token', 'access_token').values).to.deep.equal(['a', '']);
    expect(scanQueryToken('access_tokenx=a&xaccess_token=b', 'access_token').values).to.deep.equal([]);
  });

  it('flags the name after a ; (a separator for PHP, Rails and CGI parsers) as ambiguous', () => {
    expect(scanQueryToken('x=1;access_token=forged', 'access_token')).to.deep.equal({ values: [], ambiguous: true });
    expect(scanQueryToken('access_token;x=1', 'access_token').ambiguous).to.equal(true);
    expect(scanQueryToken('x=a;b', 'access_token').ambiguous).to.equal(false);
  });
});
