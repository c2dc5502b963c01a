// Route matching and plugin-config precedence of the double (Kong's traditional router, plugins_iterator).
import { expect } from 'chai';
import { emptyStore, makeRoute, type PluginEntity } from '../../kong-double/entities';
import { matchRoute, selectPluginConfig, upstreamPath } from '../../kong-double/router';
import { makePlugin } from '../../kong-double/declarative';

describe('kong-double router', () => {
  const store = emptyStore();
  store.routes.push(
    makeRoute({ name: 'short', paths: ['/api'] }, 'r1', { id: 's1' }),
    makeRoute({ name: 'long', paths: ['/api/v2'], strip_path: false }, 'r2', { id: 's1' }),
    makeRoute({ name: 'post-only', paths: ['/form'], methods: ['POST'] }, 'r3', null),
    makeRoute({ name: 'host', paths: ['/h'], hosts: ['api.example.test'] }, 'r4', null),
  );

  it('picks the longest matching path prefix and honours methods and hosts', () => {
    expect(matchRoute(store, 'GET', 'x', '/api/v2/users')?.route.name).to.equal('long');
    expect(matchRoute(store, 'GET', 'x', '/api/v1')?.route.name).to.equal('short');
    expect(matchRoute(store, 'GET', 'x', '/form')).to.equal(undefined);
    expect(matchRoute(store, 'POST', 'x', '/form')?.route.name).to.equal('post-only');
    expect(matchRoute(store, 'GET', 'other.test', '/h')).to.equal(undefined);
    expect(matchRoute(store, 'GET', 'api.example.test', '/h')?.route.name).to.equal('host');
  });

  it('strips the matched prefix (strip_path) and joins the service path', () => {
    expect(upstreamPath(null, '/api/x', matchRoute(store, 'GET', 'x', '/api/x')!)).to.equal('/x');
    expect(upstreamPath(null, '/api', matchRoute(store, 'GET', 'x', '/api')!)).to.equal('/');
    expect(upstreamPath('/svc-prefix', '/api/x', matchRoute(store, 'GET', 'x', '/api/x')!)).to.equal('/svc-prefix/x');
    expect(upstreamPath(null, '/api/v2/u', matchRoute(store, 'GET', 'x', '/api/v2/u')!)).to.equal('/api/v2/u');
  });

  it('selects the most specific plugin config: route+consumer > service+consumer > route > service > global', () => {
    const s = emptyStore();
    const add = (id: string, route?: string, service?: string, consumer?: string): PluginEntity => {
      const p = makePlugin({ id }, 'p', {}, route, service, consumer);
      s.plugins.push(p);
      return p;
    };
    add('global');
    add('service', undefined, 's1');
    add('route', 'r1');
    add('service+consumer', undefined, 's1', 'c1');
    add('route+consumer', 'r1', undefined, 'c1');
    expect(selectPluginConfig(s, 'p', 'r1', 's1', 'c1')?.id).to.equal('route+consumer');
    expect(selectPluginConfig(s, 'p', 'r2', 's1', 'c1')?.id).to.equal('service+consumer');
    expect(selectPluginConfig(s, 'p', 'r1', 's1', undefined)?.id).to.equal('route');
    expect(selectPluginConfig(s, 'p', 'r2', 's1', undefined)?.id).to.equal('service');
    expect(selectPluginConfig(s, 'p', 'r2', 's2', undefined)?.id).to.equal('global');
  });
});
