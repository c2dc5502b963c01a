// hide_credentials removes the token source's name in every spelling upstream stacks fold to it
// (plugin/forward/credential-spellings.ts): PHP's name mangling, Rack's extra separators, CGI header
// folding and case-insensitive readers.
import { expect } from 'chai';
import { cookieWithoutSpellings, foldedParameterName, queryWithoutSpellings, tokenHeaderSpellings } from '../../../plugin/forward/credential-spellings';

describe('hide_credentials: spellings of the token source upstreams read as its name', () => {
  it('folds query and cookie names as PHP and case-insensitive readers do', () => {
    for (const name of ['access_token', 'access.token', 'access+token', 'access%20token', 'access token', 'access[token', 'access_token[]', 'access_token[0]',
      'ACCESS_TOKEN', 'access_token%00', 'access_token%00junk', '%61ccess%5Ftoken', ' access_token', 'acce%C5%BF%C5%BF_token']) {
      expect(foldedParameterName(name), name).to.equal('access_token');
    }
    for (const name of ['access-token', 'access[token]', 'accesstoken', 'access_token_', 'xaccess_token', 'access__token']) {
      expect(foldedParameterName(name), name).to.not.equal('access_token');
    }
  });

  it('removes every such query parameter, also after a ;, and leaves every other byte as sent', () => {
    expect(queryWithoutSpellings('a=1&access_token=t&b=%2F+x', 'access_token')).to.equal('a=1&b=%2F+x');
    expect(queryWithoutSpellings('access_token=t', 'access_token')).to.equal('');
    expect(queryWithoutSpellings('access%5Ftoken=t&c', 'access_token')).to.equal('c');
    expect(queryWithoutSpellings('access.token=f&ACCESS_TOKEN=f&x=1;access[token=f;y=2&access_token[]=f', 'access_token')).to.equal('x=1;y=2');
    expect(queryWithoutSpellings('a=1&filter=x;y', 'access_token')).to.equal(null);
  });

  it('removes every such cookie, also after a , (Rack), and keeps the others in one line', () => {
    const cookie = (...lines: string[]) => ({ cookie: lines });
    expect(cookieWithoutSpellings(cookie('a=1; okta_at=t; b=2'), 'okta_at')).to.equal('a=1; b=2');
    expect(cookieWithoutSpellings(cookie('okta.at=f; OKTA_AT=f', 'a=b, okta_at=f'), 'okta_at')).to.equal('a=b');
    expect(cookieWithoutSpellings(cookie('okta_at=t'), 'okta_at')).to.equal('');
    expect(cookieWithoutSpellings(cookie('a=1; prefs={"x":1,"y":2}'), 'okta_at')).to.equal(null);
    expect(cookieWithoutSpellings({}, 'okta_at')).to.equal(null);
  });

  it('finds the other spellings of the token header as CGI, WSGI and Rack fold them', () => {
    expect(tokenHeaderSpellings({ 'x-api-token': ['Bearer t'], x_api_token: ['Bearer f'], 'x-api_token': ['f'], other: ['x'] }, 'X-Api-Token')).to.deep.equal(['x_api_token', 'x-api_token']);
    expect(tokenHeaderSpellings({ authorization: ['Bearer t'] }, 'authorization')).to.deep.equal([]);
  });
});
