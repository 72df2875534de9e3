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
