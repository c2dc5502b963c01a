// The doctor's fail-closed guard check over every plugin of a config: okta-jwt with
// fail_closed_guard needs this version's post-function where Kong runs it beside okta-jwt (its scope,
// its route's service, or global, the most specific winning), and that post-function needs the mark.
import { expect } from 'chai';
import { stringify } from 'yaml';
import { guardFileChecks, type ScopedPlugin } from '../../../cli/guard-check';
import { readConfigDocument, scopedPlugins } from '../../../cli/kong-config';
import { EARLIER_GUARD_POST_FUNCTION, GUARD_POST_FUNCTION } from '../../../plugin/handler/guard-mark';
import { tempDir } from '../../02-integration/doctor/run-doctor';

const at = (name: string, scope: Partial<ScopedPlugin>, config: unknown): ScopedPlugin => ({ name, route: null, service: null, consumer: null, config, ...scope });
const okta = (scope: Partial<ScopedPlugin>, guard = true) => at('okta-jwt', scope, { issuer: 'x', fail_closed_guard: guard });
const post = (scope: Partial<ScopedPlugin>, code = GUARD_POST_FUNCTION) => at('post-function', scope, { access: [code] });
const outcome = (plugins: ScopedPlugin[], routeServices?: Map<string, string | null>) =>
  guardFileChecks(plugins, { routeServices }).map((c) => [c.status, c.detail.split(':')[0]]);

describe('doctor: the fail-closed guard over every plugin of a config', () => {
  it('passes okta-jwt with the shipped post-function on its route, its service, or globally', () => {
    expect(outcome([okta({ route: 'r' }), post({ route: 'r' })])).to.deep.equal([['pass', 'route "r"']]);
    expect(outcome([okta({ service: 's' }), post({ service: 's' })])).to.deep.equal([['pass', 'service "s"']]);
    expect(outcome([okta({ route: 'r' }), post({})])).to.deep.equal([['pass', 'route "r"']]);
    expect(outcome([okta({ route: 'r' }), post({ service: 's' })], new Map([['r', 's']]))).to.deep.equal([['pass', 'route "r"']]);
    expect(outcome([okta({}), post({})])).to.deep.equal([['pass', 'the global okta-jwt']]);
  });

  it('fails okta-jwt with the guard on and no guard post-function in its scope (another scope, consumer-scoped, disabled, whitespace aside)', () => {
    expect(outcome([okta({ route: 'r' }), post({ route: 'other' })])).to.deep.equal([['fail', 'route "r"']]);
    expect(outcome([okta({ route: 'r' }), post({ service: 's' })])).to.deep.equal([['fail', 'route "r"']]); // the route's service unknown
    expect(outcome([okta({ route: 'r' }), { ...post({ route: 'r' }), enabled: false }])).to.deep.equal([['fail', 'route "r"']]);
    expect(outcome([okta({ route: 'r' }), post({ route: 'r', consumer: 'c' })])).to.deep.equal([['fail', 'route "r"']]);
    expect(outcome([okta({ route: 'r' }), post({ route: 'r' }, `  ${GUARD_POST_FUNCTION.replace(/; /g, ';\n')}\n`)])).to.deep.equal([['pass', 'route "r"']]);
  });

  it('fails a post-function on okta-jwt\'s own scope that replaces a global guard', () => {
    const checks = guardFileChecks([okta({ service: 's' }), post({ service: 's' }, 'kong.service.request.clear_header("X-Debug")'), post({})]);
    expect(checks.map((c) => c.status)).to.deep.equal(['fail']);
  });

  it('fails the earlier post-function (it refuses the mark okta-jwt sets now), naming the doc', () => {
    const [check] = guardFileChecks([okta({ route: 'r' }), post({ route: 'r' }, EARLIER_GUARD_POST_FUNCTION)]);
    expect(check!.status).to.equal('fail');
    expect(check!.detail).to.include('earlier').and.include('docs/fail-closed-guard.md');
  });

  it('fails the guard post-function beside okta-jwt without fail_closed_guard (every request 503); warns when neither is there', () => {
    expect(outcome([okta({ route: 'r' }, false), post({ route: 'r' })])).to.deep.equal([['fail', 'route "r"']]);
    expect(outcome([okta({ route: 'r' }, false)])).to.deep.equal([['warn', 'route "r"']]);
  });

  it('reads every plugin of a declarative file: kong/kong.yml\'s shape passes, a route whose guard sits on its service passes', async () => {
    const tmp = tempDir();
    try {
      const doc = {
        _format_version: '3.0',
        services: [{
          name: 'orders', url: 'http://u', plugins: [{ name: 'post-function', config: { access: [GUARD_POST_FUNCTION] } }],
          routes: [{ name: 'read', paths: ['/r'], plugins: [{ name: 'okta-jwt', config: { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], fail_closed_guard: true } }] }],
        }],
        routes: [{ name: 'write', service: { name: 'orders' }, paths: ['/w'] }],
        plugins: [{ name: 'okta-jwt', route: 'write', config: { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'] } }],
      };
      const read = scopedPlugins(await readConfigDocument(tmp.file('kong.yml', stringify(doc))));
      expect(guardFileChecks(read.plugins, read.names).map((c) => [c.status, c.detail.split(':')[0]])).to.deep.equal([['fail', 'route "write"'], ['pass', 'route "read"']]);
    } finally {
      tmp.remove();
    }
  });
});
