// Which okta-jwt config the doctor takes from a kong.yml: Kong's precedence (route, then its
// service, then global), nested or top-level plugins, references by name or id.
import { expect } from 'chai';
import { stringify } from 'yaml';
import { UsageError } from '../../../cli/args';
import { expandDeckEnv, readConfigDocument, selectPluginConfig } from '../../../cli/kong-config';
import { tempDir } from '../../02-integration/doctor/run-doctor';

const okta = (marker: string, extra: Record<string, unknown> = {}) => ({ name: 'okta-jwt', config: { issuer: marker }, ...extra });

const doc = {
  _format_version: '3.0',
  services: [
    {
      name: 'orders',
      id: 'svc-1',
      plugins: [okta('service')],
      routes: [
        { name: 'orders-read', plugins: [okta('route')] },
        { name: 'orders-write' },
      ],
    },
    { name: 'billing', routes: [{ name: 'billing-api', id: 'r-9' }] },
    { name: 'misc', routes: [{ name: 'misc-api' }] },
  ],
  routes: [{ name: 'top-route', service: { name: 'orders' } }],
  plugins: [
    okta('global'),
    okta('top-level on route', { route: 'r-9' }),
    okta('disabled', { route: 'misc-api', enabled: false }),
    okta('consumer scoped', { consumer: 'bob' }),
  ],
};

describe('doctor: picking the okta-jwt config from a declarative Kong config', () => {
  const pick = (route: string | null, service: string | null) => selectPluginConfig(doc, route, service);

  it('takes the plugin on the route first', () => {
    expect(pick('orders-read', null)).to.deep.equal({ config: { issuer: 'route' }, where: 'route "orders-read"' });
  });

  it('falls back to the route\'s service, for nested and top-level routes', () => {
    expect(pick('orders-write', null)).to.deep.equal({ config: { issuer: 'service' }, where: 'service "orders" (applies to route "orders-write")' });
    expect(pick('top-route', null).config).to.deep.equal({ issuer: 'service' });
  });

  it('finds a top-level plugin that references the route by id', () => {
    expect(pick('billing-api', null).config).to.deep.equal({ issuer: 'top-level on route' });
  });

  it('skips disabled and consumer-scoped plugins and falls back to the global one', () => {
    expect(pick('misc-api', null)).to.deep.equal({ config: { issuer: 'global' }, where: 'global plugin (applies to route "misc-api")' });
  });

  it('takes the service plugin for --service, and the global one without a target', () => {
    expect(pick(null, 'orders').config).to.deep.equal({ issuer: 'service' });
    expect(pick(null, 'billing').config).to.deep.equal({ issuer: 'global' });
    expect(pick(null, null).config).to.deep.equal({ issuer: 'global' });
  });

  it('refuses an unknown route or service, and a config without any okta-jwt plugin', () => {
    expect(() => pick('nope', null)).to.throw(UsageError, /no route named "nope"/);
    expect(() => pick(null, 'nope')).to.throw(UsageError, /no service named "nope"/);
    expect(() => selectPluginConfig({ services: [{ name: 's', routes: [{ name: 'r' }] }] }, 'r', null)).to.throw(UsageError, /no okta-jwt plugin applies to route "r"/);
    expect(() => selectPluginConfig({ services: [{ name: 's', plugins: [okta('x')] }] }, null, null)).to.throw(UsageError, /name the --route or --service \(1 scoped/);
    expect(() => selectPluginConfig(['not', 'a', 'mapping'], null, null)).to.throw(UsageError, /declarative Kong config/);
  });

  it('hints at the flag that finds the plugin when the named target has none', () => {
    const onRoute = { services: [{ name: 'echo', routes: [{ name: 'echo', plugins: [okta('r')] }] }, { name: 'other', routes: [{ name: 'o' }] }] };
    expect(() => selectPluginConfig(onRoute, null, 'echo')).to.throw(UsageError, 'no okta-jwt plugin applies to service "echo"; the plugin is on route "echo" (try --route echo)');
    expect(() => selectPluginConfig(onRoute, 'o', null)).to.throw(UsageError, 'no okta-jwt plugin applies to route "o"; the plugin is on route "echo" (try --route echo)');
    const topLevel = { services: [{ name: 's', routes: [{ name: 'r' }] }, { name: 't' }], plugins: [okta('x', { service: 't' })] };
    expect(() => selectPluginConfig(topLevel, 'r', null)).to.throw(UsageError, '; the plugin is on service "t" (try --service t)');
    expect(() => selectPluginConfig({ services: [{ name: 's', routes: [{ name: 'r' }] }] }, 'r', null)).to.throw(UsageError, '; the config has no okta-jwt plugin');
  });

  it('expands decK\'s ${{ env "DECK_X" }} placeholders from the environment, and names a missing variable', () => {
    const text = 'issuer: ${{ env "DECK_ISSUER" }}\naudiences: [ "${{env "DECK_AUD"}}" ]\n';
    expect(expandDeckEnv(text, 'kong.yml', { DECK_ISSUER: 'https://dev-1.okta.com/oauth2/default', DECK_AUD: 'api://default' }))
      .to.equal('issuer: https://dev-1.okta.com/oauth2/default\naudiences: [ "api://default" ]\n');
    expect(() => expandDeckEnv(text, 'kong.yml', { DECK_ISSUER: 'x' })).to.throw(UsageError, 'kong.yml: ${{env "DECK_AUD"}} needs the environment variable DECK_AUD, which is not set');
    expect(() => expandDeckEnv('a: ${{ env "HOME" }}', 'kong.yml', { HOME: '/root' })).to.throw(UsageError, 'decK reads only environment variables starting with DECK_');
  });

  it('reads YAML and JSON files, and names unreadable or invalid ones', async () => {
    const tmp = tempDir();
    try {
      expect((selectPluginConfig(await readConfigDocument(tmp.file('kong.yml', stringify(doc))), 'orders-read', null)).config).to.deep.equal({ issuer: 'route' });
      expect((selectPluginConfig(await readConfigDocument(tmp.file('kong.json', JSON.stringify(doc))), 'orders-read', null)).config).to.deep.equal({ issuer: 'route' });
      process.env.DECK_OKTA_JWT_SPEC_ISSUER = 'https://dev-1.okta.com/oauth2/default';
      const templated = tmp.file('deck.yml', 'services: [{ name: s, plugins: [{ name: okta-jwt, config: { issuer: "${{ env \"DECK_OKTA_JWT_SPEC_ISSUER\" }}" } }] }]\n');
      expect((selectPluginConfig(await readConfigDocument(templated), null, 's')).config).to.deep.equal({ issuer: 'https://dev-1.okta.com/oauth2/default' });
      delete process.env.DECK_OKTA_JWT_SPEC_ISSUER;
      await readConfigDocument(tmp.file('bad.yml', 'services: [\n')).then(() => expect.fail('accepted bad YAML'), (err) => expect(err).to.be.instanceOf(UsageError).with.property('message').match(/not valid YAML/));
      await readConfigDocument(`${tmp.dir}/missing.yml`).then(() => expect.fail('read a missing file'), (err) => expect(err.message).to.match(/cannot read .*ENOENT/));
    } finally {
      tmp.remove();
    }
  });
});
