// Penlight pretty.write and Lua number formatting as they appear in Kong's error messages.
import { expect } from 'chai';
import { luaNumberToString, luaPrettyWrite, luaQuoteString } from '../../kong-double/schema/lua-text';

describe('kong-schema Lua text', () => {
  it('writes sparse arrays with [i] keys and sorted record keys, one per line', () => {
    expect(luaPrettyWrite([null, 'expected a string'])).to.equal('{\n  [2] = "expected a string"\n}');
    expect(luaPrettyWrite([null, { x: 'unknown field', kid: 'expected a string' }])).to.equal(
      '{\n  [2] = {\n    kid = "expected a string",\n    x = "unknown field"\n  }\n}',
    );
    expect(luaPrettyWrite([{ pem: 'required field missing' }])).to.equal('{\n  {\n    pem = "required field missing"\n  }\n}');
  });

  it('writes compactly with an empty indent, as the declarative-config message does', () => {
    expect(luaPrettyWrite({ b: ['x'], a: 'y' }, '')).to.equal('{a="y",b={"x"}}');
    expect(luaPrettyWrite({}, '')).to.equal('{}');
  });

  it('brackets keys that are not Lua identifiers or are keywords', () => {
    expect(luaPrettyWrite({ 'a-b': 'v', end: 'w', ok_1: 'z' }, '')).to.equal('{["a-b"]="v",["end"]="w",ok_1="z"}');
  });

  it('quotes strings like Lua %q, and multi-line strings with long brackets', () => {
    expect(luaQuoteString('say "hi" \\ now')).to.equal('"say \\"hi\\" \\\\ now"');
    expect(luaQuoteString('two\nlines')).to.equal('[[two\nlines]]');
    expect(luaQuoteString('a]]b\nc')).to.equal('[=[a]]b\nc]=]');
  });

  it('formats numbers as Lua tostring does', () => {
    expect(luaNumberToString(300)).to.equal('300');
    expect(luaNumberToString(2.5)).to.equal('2.5');
    expect(luaNumberToString(0.1 + 0.2)).to.equal('0.3');
    expect(luaNumberToString(1e20)).to.equal('1e+20');
  });
});
