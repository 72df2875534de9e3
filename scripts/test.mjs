// The full test suite: build (type-check), lint, then every package's mocha suite and the
// cross-process suite in test/. Runs all of them even when one fails, and ends with one line that
// CI reads: `tests: N passed, M failed`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const only = process.argv.slice(2);

function run(command, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

function count(output, word) {
  let total = 0;
  // Mocha colours its summary lines when it thinks it writes to a terminal; strip the colours first.
  const plain = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  for (const match of plain.matchAll(new RegExp(`^\\s*(\\d+) ${word}\\b`, 'gm'))) total += Number(match[1]);
  return total;
}

let passed = 0;
let failed = 0;
let broken = false;

const build = await run(
  process.execPath,
  [path.join(root, 'packages/wire/scripts/check-generated.mjs')],
  root,
);
const typeCheck = build.code === 0 ? await run(bin('tsc'), ['-b'], root) : build;
if (typeCheck.code !== 0) {
  console.error('build failed: the type check must pass before tests run');
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}

const suites = readdirSync(path.join(root, 'packages'))
  .sort()
  .map((name) => ({ name: `packages/${name}`, directory: path.join(root, 'packages', name) }))
  .filter((suite) => existsSync(path.join(suite.directory, 'test')));
// The network-namespace suite (test/netns) is a suite of its own: it needs root, and in CI it must
// run rather than skip, so its counts are worth seeing apart.
suites.push({
  name: 'test (cross-process)',
  directory: root,
  config: '.mocharc.root.json',
  ignore: 'test/netns/**',
});
suites.push({
  name: 'test/netns (network namespaces, as root)',
  directory: root,
  testDirectory: 'test/netns',
  config: '.mocharc.netns.json',
});

for (const suite of suites) {
  if (only.length > 0 && !only.some((filter) => suite.name.includes(filter))) continue;
  const testDirectory = path.join(suite.directory, suite.testDirectory ?? 'test');
  const hasTests =
    existsSync(testDirectory) &&
    readdirSync(testDirectory, { recursive: true }).some((file) => String(file).endsWith('.test.ts'));
  if (!hasTests) continue;
  console.log(`\n=== ${suite.name} ===`);
  const args = suite.config ? ['--config', suite.config] : [];
  if (suite.ignore) args.push('--ignore', suite.ignore);
  const result = await run(bin('mocha'), args, suite.directory);
  const suitePassed = count(result.output, 'passing');
  const suiteFailed = count(result.output, 'failing');
  passed += suitePassed;
  failed += suiteFailed;
  if (result.code !== 0 && suiteFailed === 0) {
    // A crash before mocha could report (a syntax error, a hook failure) still counts as a failure.
    failed += 1;
    broken = true;
  }
}

console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);
