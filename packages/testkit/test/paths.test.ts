// The test kit's refusal to run a bundle older than the files it was built from.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { currentBundle } from '../src/paths.js';

describe('paths: the bundle a test runs', () => {
  let directory = '';
  let source = '';
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  /** A bundle written at `bundledAtS`, built from `source` holding `text`. */
  function writeBundle(text: string, bundledAtS: number): void {
    writeFileSync(source, text);
    writeFileSync(
      path.join(directory, 'inputs.json'),
      JSON.stringify([{ file: source, sha256: sha256(text) }]),
    );
    const bundle = path.join(directory, 'tandemd.mjs');
    writeFileSync(bundle, '');
    utimesSync(source, bundledAtS - 10, bundledAtS - 10);
    utimesSync(bundle, bundledAtS, bundledAtS);
  }

  beforeEach(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'tandem-paths-'));
    source = path.join(directory, 'main.js');
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('runs a bundle whose inputs are older', () => {
    writeBundle('one', 1_000_000);
    expect(currentBundle(directory, 'tandemd')).to.equal(path.join(directory, 'tandemd.mjs'));
  });

  it('runs a bundle whose input was rewritten since with the same bytes', () => {
    writeBundle('one', 1_000_000);
    writeFileSync(source, 'one');
    utimesSync(source, 2_000_000, 2_000_000);
    expect(currentBundle(directory, 'tandemd')).to.equal(path.join(directory, 'tandemd.mjs'));
  });

  it('refuses a bundle when an input changed or is gone since', () => {
    writeBundle('one', 1_000_000);
    writeFileSync(source, 'two');
    utimesSync(source, 2_000_000, 2_000_000);
    expect(() => currentBundle(directory, 'tandemd')).to.throw(/is older than .*main\.js: run `pnpm build`/);
    rmSync(source);
    expect(() => currentBundle(directory, 'tandemd')).to.throw(/is older than .*main\.js/);
  });

  it('says to build when there is no bundle', () => {
    expect(() => currentBundle(directory, 'tandemctl')).to.throw(
      /tandemctl\.mjs is missing: run `pnpm build`/,
    );
  });
});
