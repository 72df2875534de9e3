import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runScriptFile } from './interaction.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata');
const scripts = readdirSync(testdata)
  .filter((name) => name.endsWith('.txt'))
  .sort();

describe('interaction scripts', () => {
  it('finds the scripts', () => {
    expect(scripts.length).to.be.greaterThanOrEqual(9);
  });

  for (const script of scripts) {
    it(script.replace(/\.txt$/, ''), () => {
      const { failures } = runScriptFile(join(testdata, script));
      expect(failures, failures.join('\n\n')).to.deep.equal([]);
    });
  }
});
