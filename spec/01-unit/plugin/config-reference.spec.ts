import { expect } from 'chai';
import fs from 'node:fs';
import { configurationReference, REFERENCE_PATH } from '../../../scripts/config-reference';
import { configFields } from '../../../plugin/config/schema';

describe('the generated configuration reference', () => {
  it('matches the schema (run npm run docs:config after changing a field)', () => {
    expect(fs.readFileSync(REFERENCE_PATH, 'utf8')).to.equal(configurationReference());
  });

  it('lists every top-level field of the schema', () => {
    const text = configurationReference();
    for (const entry of configFields) expect(text).to.include(`| \`${Object.keys(entry)[0]}\` |`);
  });
});
