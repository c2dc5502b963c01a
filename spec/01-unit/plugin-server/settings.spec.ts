import { expect } from 'chai';
import { DEFAULT_SETTINGS, settingsFromEnv } from '../../../server/settings';

describe('plugin server: settings from the environment', () => {
  it('uses a 60 s instance idle time and a 120 s event idle time when nothing is set', () => {
    expect(settingsFromEnv({})).to.deep.equal({ instanceTtlSeconds: 60, eventTtlSeconds: 120, drainTimeoutSeconds: 30 });
    expect(settingsFromEnv({ OKTA_JWT_PS_INSTANCE_TTL: '' })).to.deep.equal(DEFAULT_SETTINGS);
  });

  it('reads fractional seconds', () => {
    expect(settingsFromEnv({ OKTA_JWT_PS_INSTANCE_TTL: '0.5', OKTA_JWT_PS_EVENT_TTL: '300' })).to.deep.equal({
      instanceTtlSeconds: 0.5,
      eventTtlSeconds: 300,
      drainTimeoutSeconds: 30,
    });
  });

  it('refuses values that are not a positive number of seconds, naming the variable', () => {
    for (const bad of ['0', '-1', 'abc', 'Infinity']) {
      expect(() => settingsFromEnv({ OKTA_JWT_PS_EVENT_TTL: bad }), bad).to.throw(`OKTA_JWT_PS_EVENT_TTL must be a positive number of seconds, got "${bad}"`);
    }
  });
});
