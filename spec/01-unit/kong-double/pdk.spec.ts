// The fake PDK's validation and semantics, driven directly (no plugin server).
import { expect } from 'chai';
import type http from 'node:http';
import { executePdk, LuaError, stepMethodFor, type PdkEnv } from '../../kong-double/pdk';
import { RequestContext } from '../../kong-double/request-context';
import { emptyStore, makeRoute } from '../../kong-double/entities';
import { ErrorLog } from '../../kong-double/recorder';
import { luaArgs } from '../../kong-double/pdk-values';

function env(rawHeaders: string[], kongVersion: '3.9.3' | '3.4.2' = '3.9.3'): PdkEnv {
  const req = { method: 'GET', url: '/p?x=1', rawHeaders, httpVersion: '1.1', socket: { remoteAddress: '127.0.0.1', remotePort: 5555 } } as unknown as http.IncomingMessage;
  const ctx = new RequestContext(req, Buffer.alloc(0), makeRoute({ name: 'r', paths: ['/p'] }, 'rid', null), null, 8000);
  return { ctx, pluginName: 'js-probe', kongVersion, store: emptyStore(), log: new ErrorLog(() => 0), nodeId: 'n' };
}

const value = (e: PdkEnv, method: string, args: unknown[]) => {
  const out = executePdk(e, method, args);
  return out.kind === 'value' ? out.value : out.kind;
};

describe('kong-double PDK executor', () => {
  it('get_headers truncates silently to 100 lines by default, lower-cases keys and returns arrays', () => {
    const raw = ['Host', 'h'];
    for (let i = 0; i < 120; i++) raw.push(`X-H-${i}`, `v${i}`);
    const e = env(raw);
    expect(Object.keys(value(e, 'kong.request.get_headers', []) as object)).to.have.length(100);
    expect(Object.keys(value(e, 'kong.request.get_headers', [1000]) as object)).to.have.length(121);
    expect((value(e, 'kong.request.get_headers', [5]) as Record<string, string[]>).host).to.deep.equal(['h']);
    expect(() => executePdk(e, 'kong.request.get_headers', [0])).to.throw(LuaError, 'max_headers must be >= 1');
    expect(() => executePdk(e, 'kong.request.get_headers', [1001])).to.throw(LuaError, 'max_headers must be <= 1000');
    expect(stepMethodFor('kong.request.get_headers')).to.equal('plugin.StepMultiMap');
  });

  it('get_header is case-insensitive, treats _ as -, returns the first value, and rejects non-strings', () => {
    const e = env(['X-Rep', 'one', 'X-Rep', 'two', 'X-Mixed-Case', 'm']);
    expect(value(e, 'kong.request.get_header', ['x-rep'])).to.equal('one');
    expect(value(e, 'kong.request.get_header', ['x_mixed_case'])).to.equal('m');
    expect(value(e, 'kong.request.get_header', ['x-missing'])).to.equal(undefined);
    expect(() => executePdk(e, 'kong.request.get_header', [123])).to.throw(LuaError, 'header name must be a string');
  });

  it('set_header applies Kong type rules; arrays only on 3.9; "" becomes " "', () => {
    const e = env([]);
    executePdk(e, 'kong.service.request.set_header', ['X-Num', 42]);
    executePdk(e, 'kong.service.request.set_header', ['X-Empty', '']);
    executePdk(e, 'kong.service.request.set_header', ['X-Arr', ['p', 'q']]);
    expect(e.ctx.headers).to.deep.equal([['X-Num', '42'], ['X-Empty', ' '], ['X-Arr', 'p'], ['X-Arr', 'q']]);
    expect(() => executePdk(e, 'kong.service.request.set_header', ['X-Null', null])).to.throw(LuaError, 'invalid header value for "X-Null": got nil, expected array of string, string, number or boolean');
    expect(() => executePdk(e, 'kong.service.request.set_header', [123, 'v'])).to.throw(LuaError, 'invalid header name "123": got number, expected string');
    expect(() => executePdk(env([], '3.4.2'), 'kong.service.request.set_header', ['X-Arr', ['p']])).to.throw(LuaError, 'expected string, number or boolean');
  });

  it('response.exit is terminal and validates the status; an unknown method is logged and answered with nil', () => {
    const e = env([]);
    expect(() => executePdk(e, 'kong.response.exit', ['401'])).to.throw(LuaError, 'code must be a number');
    expect(() => executePdk(e, 'kong.response.exit', [600])).to.throw(LuaError, 'code must be a number between 100 and 599');
    expect(executePdk(e, 'kong.response.exit', [401, { message: 'x' }, { 'WWW-Authenticate': 'Bearer' }])).to.deep.equal({ kind: 'exit' });
    expect(e.ctx.exit!.headers).to.deep.equal([['Content-Type', 'application/json; charset=utf-8'], ['WWW-Authenticate', 'Bearer']]);
    expect(executePdk(e, 'kong.request.no_such_thing', [])).to.deep.equal({ kind: 'value', value: undefined });
    expect(e.log.text()).to.contain('could not find pdk method: kong.request.no_such_thing');
    expect(() => executePdk(e, 'kong.version', [])).to.throw(LuaError, "attempt to call local 'method' (a string value)");
  });

  it('set_serialize_value: dotted keys (a dash is plain), set/add/replace, Kong\'s own Authorization redaction, a non-table on the way is an error', () => {
    const e = env(['Authorization', 'Bearer secret', 'X-Api-Token', 'Bearer t0k', 'Cookie', 'a=1']);
    executePdk(e, 'kong.log.set_serialize_value', ['request.headers.x-api-token', 'REDACTED', { mode: 'replace' }]);
    executePdk(e, 'kong.log.set_serialize_value', ['request.headers.absent', 'REDACTED', { mode: 'replace' }]);
    executePdk(e, 'kong.log.set_serialize_value', ['request.headers.cookie', 'b=2', { mode: 'add' }]);
    executePdk(e, 'kong.log.set_serialize_value', ['okta.reason', 'x']);
    expect(() => executePdk(e, 'kong.log.set_serialize_value', ['k', 'v', { mode: 'merge' }])).to.throw(LuaError, "mode must be 'set', 'add' or 'replace'");
    expect(() => executePdk(e, 'kong.log.set_serialize_value', [1, 'v'])).to.throw(LuaError, 'key must be a string');
    e.ctx.phase = 'log';
    const entry = JSON.parse(value(e, 'kong.log.serialize', []) as string) as { request: { headers: Record<string, string> }; okta: unknown };
    expect(entry.request.headers).to.deep.include({ authorization: 'REDACTED', 'x-api-token': 'REDACTED', cookie: 'a=1' });
    expect(entry.request.headers).to.not.have.property('absent');
    expect(entry.okta).to.deep.equal({ reason: 'x' });
    executePdk(e, 'kong.log.set_serialize_value', ['request.method.x', 1]);
    expect(() => executePdk(e, 'kong.log.serialize', [])).to.throw(LuaError, "Subkey 'method' is not a table");
  });

  it('load_consumer rejects a non-UUID id unless searching by username; serialize only in the log phase', () => {
    const e = env([]);
    expect(() => executePdk(e, 'kong.client.load_consumer', ['alice'])).to.throw(LuaError, 'cannot load a consumer with an id that is not a uuid');
    expect(value(e, 'kong.client.load_consumer', ['alice', true])).to.equal(undefined);
    expect(() => executePdk(e, 'kong.log.serialize', [])).to.throw(LuaError, 'function cannot be called in access phase (only in: log)');
  });

  it('passes Lua-style argument lists: truncated at the first nil except a leading nil', () => {
    expect(luaArgs(['err-arg', 2, true, null, { a: 1 }, 'after'])).to.deep.equal(['err-arg', 2, true]);
    expect(luaArgs([null, { id: 'c' }])).to.deep.equal([undefined, { id: 'c' }]);
  });
});

// nginx runs with `underscores_in_headers on` in Kong: any token-shaped name reaches the PDK as sent
// (batch3). get_header reads ngx.var.http_*, which treats "_" and "-" alike; clear_header does not.
describe('kong-double PDK: header names as Kong handles them (issue 12)', () => {
  it('get_headers keeps every client name, __proto__ and _ spellings included, as its own key', () => {
    const names = ['__proto__', 'constructor', 'toString', 'X_User_Sub', 'x-user-sub', '_'];
    const map = value(env(names.flatMap((n, i) => [n, `v${i}`])), 'kong.request.get_headers', []) as Record<string, string[]>;
    expect(Object.getPrototypeOf(map)).to.equal(null);
    expect(Object.keys(map)).to.deep.equal(['__proto__', 'constructor', 'tostring', 'x_user_sub', 'x-user-sub', '_']);
    expect(map['__proto__']).to.deep.equal(['v0']);
  });

  it('get_header("X-A-B") also reads a client header X_A_B, in any case, like ngx.var.http_x_a_b', () => {
    for (const version of ['3.9.3', '3.4.2'] as const) {
      const e = env(['X_Okta_Jwt_Guard', 'forged'], version);
      for (const name of ['X-Okta-Jwt-Guard', 'x_okta_jwt_guard', 'X-OKTA-jwt_GUARD']) {
        expect(value(e, 'kong.request.get_header', [name]), `${version} ${name}`).to.equal('forged');
      }
    }
  });

  it('get_header with several matching lines: 3.4 the first; 3.9 re-reads get_headers by the name (then with "_" → "-")', () => {
    const raw = ['X_A_B', 'under', 'X-A-B', 'dash'];
    expect(value(env(raw, '3.4.2'), 'kong.request.get_header', ['X-A-B'])).to.equal('under');
    expect(value(env(raw, '3.9.3'), 'kong.request.get_header', ['X-A-B'])).to.equal('dash');
    expect(value(env(raw, '3.9.3'), 'kong.request.get_header', ['x_a_b'])).to.equal('under');
    // Only underscore spellings, looked up by the dash name: ngx.var has "1, 2", get_headers has no "x-a-b".
    expect(value(env(['X_A_B', '1', 'x_a_b', '2'], '3.9.3'), 'kong.request.get_header', ['X-A-B'])).to.equal(undefined);
  });

  it('clear_header removes only the exact spelling (any case), not the "_"/"-" twin', () => {
    const e = env(['X-Okta-Jwt-Guard', 'a', 'x-okta-jwt-guard', 'b', 'X_Okta_Jwt_Guard', 'c']);
    executePdk(e, 'kong.service.request.clear_header', ['X-OKTA-JWT-GUARD']);
    expect(e.ctx.headers).to.deep.equal([['X_Okta_Jwt_Guard', 'c']]);
  });
});
