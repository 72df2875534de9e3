import { expect } from 'chai';
import { BenchOptionsError, parseBenchOptions } from '../src/bench-options.js';

describe('bench options: which build of tandemd runs', () => {
  it('runs the packaged bundle by default, and the module tree when asked', () => {
    expect(parseBenchOptions([]).tandemdBuild).to.equal('bundle');
    expect(parseBenchOptions(['--tandemd', 'modules']).tandemdBuild).to.equal('modules');
  });

  it('runs the module tree under --cpu-prof, whose profile names each package, and refuses the bundle there', () => {
    expect(parseBenchOptions(['--cpu-prof', '/tmp/profiles']).tandemdBuild).to.equal('modules');
    expect(() => parseBenchOptions(['--cpu-prof', '/tmp/profiles', '--tandemd', 'bundle'])).to.throw(
      BenchOptionsError,
      /--tandemd/,
    );
  });

  it('names the flag when the build is neither', () => {
    expect(() => parseBenchOptions(['--tandemd', 'tree'])).to.throw(
      BenchOptionsError,
      /--tandemd: must be bundle or modules/,
    );
  });
});

describe('bench options: a preloaded ledger', () => {
  it('preloads nothing by default, and up to 100,000 live leases of the entries asked for', () => {
    expect(parseBenchOptions([]).preloadEntries).to.equal(0);
    const options = parseBenchOptions(['--preload-entries', '300000']);
    expect([options.preloadEntries, options.preloadLiveLeases]).to.deep.equal([300_000, 100_000]);
    const few = parseBenchOptions(['--preload-entries', '3000']);
    expect(few.preloadLiveLeases).to.equal(3000);
  });

  it('refuses more live leases than entries', () => {
    expect(() => parseBenchOptions(['--preload-entries', '10', '--preload-live-leases', '11'])).to.throw(
      BenchOptionsError,
      /--preload-live-leases/,
    );
  });
});
