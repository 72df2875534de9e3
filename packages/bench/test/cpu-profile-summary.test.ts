import { expect } from 'chai';
import { summariseProfile } from '../src/cpu-profile-summary.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/**
 * root → grpc handler (grpc-js) → JSON.parse (native); root → batch (classic-level) → native
 * write; idle; GC. Samples 1 ms apart, starting at 1,000 µs.
 */
function profile() {
  const grpc = 'file:///x/node_modules/.pnpm/@grpc+grpc-js@1/node_modules/@grpc/grpc-js/build/src/server.js';
  const level = 'file:///x/node_modules/.pnpm/classic-level@1/node_modules/classic-level/index.js';
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4, 6, 7] },
      { id: 2, callFrame: frame('handle', grpc, 9), children: [3] },
      { id: 3, callFrame: frame('parse') },
      { id: 4, callFrame: frame('_batch', level, 199), children: [5] },
      { id: 5, callFrame: frame('batch_do') },
      { id: 6, callFrame: frame('(idle)') },
      { id: 7, callFrame: frame('(garbage collector)') },
    ],
    startTime: 1000,
    endTime: 9000,
    samples: [2, 3, 4, 5, 5, 6, 7, 2, 2],
    timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };
}

describe('cpu profile summary', () => {
  it('adds self time per function and per category, native frames under their caller', () => {
    const summary = summariseProfile('p', profile(), 10);
    expect(summary.idleMs).to.equal(1);
    expect(summary.busyMs).to.equal(7);
    const functions = Object.fromEntries(summary.functions.map((row) => [row.name, row.selfMs]));
    expect(functions).to.deep.equal({
      'handle @grpc/grpc-js server.js:10': 2,
      batch_do: 2,
      parse: 1,
      '_batch classic-level index.js:200': 1,
      '(garbage collector)': 1,
    });
    const categories = Object.fromEntries(summary.categories.map((row) => [row.name, row.selfMs]));
    expect(categories).to.deep.equal({ LevelDB: 3, 'grpc-js': 2, JSON: 1, GC: 1 });
    expect(summary.categories[0]?.percent).to.be.closeTo((100 * 3) / 7, 1e-9);
  });

  it('keeps only the samples inside a run window', () => {
    const summary = summariseProfile('p', profile(), 10, { label: 'run', startUs: 3000, endUs: 6000 });
    expect(summary.file).to.equal('p (run)');
    expect(summary.busyMs).to.equal(3);
    expect(summary.categories.map((row) => [row.name, row.selfMs])).to.deep.equal([['LevelDB', 3]]);
  });

  it('adds the time with a named function on the stack, callees included', () => {
    const summary = summariseProfile('p', profile(), 10, null, ['handle', '_batch', 'absent']);
    expect(summary.inclusive.map((row) => [row.name, row.selfMs])).to.deep.equal([
      ['handle', 3],
      ['_batch', 3],
      ['absent', 0],
    ]);
    expect(summary.inclusive[0]?.percent).to.be.closeTo((100 * 3) / 7, 1e-9);
  });

  it('cuts the tables at top', () => {
    expect(summariseProfile('p', profile(), 2).functions).to.have.length(2);
  });
});
