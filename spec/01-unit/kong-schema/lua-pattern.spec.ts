// The Lua-pattern matcher behind Kong's match/not_match/match_all/match_none/match_any validators.
import { expect } from 'chai';
import { LuaPatternError, luaPatternMatches } from '../../kong-double/schema';

type Case = [subject: string, pattern: string, matches: boolean];

function check(cases: Case[]): void {
  for (const [subject, pattern, matches] of cases) {
    expect(luaPatternMatches(subject, pattern), `string.match(${JSON.stringify(subject)}, ${JSON.stringify(pattern)})`).to.equal(matches);
  }
}

describe('kong-schema Lua patterns', () => {
  it('matches anywhere unless anchored with ^ and $', () => {
    check([
      ['abc', 'b', true], ['abc', '^b', false], ['abc', 'c$', true], ['abc', 'b$', false],
      ['abc', '^abc$', true], ['abcd', '^abc$', false], ['a$b', 'a$b', true], ['', '', true], ['', '^$', true],
    ]);
  });

  it('implements the character classes and their upper-case negations (C locale, ASCII only)', () => {
    check([
      ['a12', '%d+', true], ['abc', '%d', false], ['abc', '^%a+$', true], ['ab1', '^%a+$', false],
      ['ABC', '^%u+$', true], ['AbC', '^%u+$', false], ['abc', '^%l+$', true], ['abc', '^%L+$', false],
      ['123', '^%A+$', true], ['a b', '%s', true], ['ab', '%s', false], ['ab', '^%S+$', true],
      ['ff0A', '^%x+$', true], ['fg', '^%x+$', false], ['a.b', '%p', true], ['ab_9', '^%w+$', false],
      ['ab9', '^%w+$', true], ['a\tb', '%c', true], ['ab', '%c', false], ['a\0b', '%z', true],
      ['é', '^%a$', false], ['é', '^..$', true], ['é', '^.$', false],
    ]);
  });

  it('treats %<punctuation> as a literal and . as any byte', () => {
    check([
      ['a.b', '^a%.b$', true], ['axb', '^a%.b$', false], ['axb', '^a.b$', true],
      ['50%', '^%d+%%$', true], ['a-b', '^a%-b$', true], ['a+b', '^a%+b$', true],
    ]);
  });

  it('implements sets with ranges, classes, negation and a leading ]', () => {
    check([
      ['b', '^[abc]$', true], ['d', '^[abc]$', false], ['d', '^[^abc]$', true], ['a', '^[^abc]$', false],
      ['m', '^[a-z]$', true], ['M', '^[a-z]$', false], ['-', '^[a%-z]$', true], ['m', '^[a%-z]$', false],
      ['-', '^[a-]$', true], [']', '^[]]$', true], ['5', '^[%d_]$', true], ['_', '^[%d_]$', true], ['x', '^[%d_]$', false],
      ['X-User-Sub', "^[%w!#$%%&'*+%.^_`|~%-]+$", true], ['X User', "^[%w!#$%%&'*+%.^_`|~%-]+$", false],
    ]);
  });

  it('implements the quantifiers * + - ? with backtracking', () => {
    check([
      ['aaa', '^a*$', true], ['', '^a*$', true], ['', '^a+$', false], ['aa', '^a+$', true],
      ['a', '^ab?$', true], ['ab', '^ab?$', true], ['abb', '^ab?$', false],
      ['aXbXc', '^a.-c$', true], ['<a><b>', '^<.->$', true], ['aaab', '^a-b$', true],
      ['https://dev-123.okta.com/oauth2/default', '^https?://[^/%s]+', true],
      ['http://x', '^https?://[^/%s]+', true], ['ftp://x', '^https?://[^/%s]+', false], ['https:///x', '^https?://[^/%s]+', false],
    ]);
  });

  it('supports captures, back-references, %b and %f', () => {
    check([
      ['abab', '^(ab)%1$', true], ['abac', '^(ab)%1$', false], ['xyz', '()y', true],
      ['(a(b)c)', '^%b()$', true], ['(a(b)c', '^%b()$', false],
      ['THE (quick) fox', '%f[%a]%a+', true], ['123', '%f[%a]', false],
    ]);
  });

  it('rejects malformed patterns as Lua does', () => {
    expect(() => luaPatternMatches('a', '%')).to.throw(LuaPatternError, "malformed pattern (ends with '%')");
    expect(() => luaPatternMatches('a', '[a')).to.throw(LuaPatternError, "malformed pattern (missing ']')");
    expect(() => luaPatternMatches('a', 'a)')).to.throw(LuaPatternError, 'invalid pattern capture');
    expect(() => luaPatternMatches('aa', '(a)%2')).to.throw(LuaPatternError, 'invalid capture index');
  });
});
