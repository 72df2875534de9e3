// Part of `pnpm lint`: `buf lint` and `buf breaking` on the gRPC contract in proto/ (rules in
// proto/buf.yaml). The breaking check compares against proto/baseline.binpb, the contract of the last
// release as a buf image (docs/architecture.md, Checking the result). buf comes as a binary in the
// npm package @bufbuild/buf.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buf = path.join(root, 'node_modules/.bin/buf');
const proto = path.join(root, 'proto');

const checks = [
  ['buf lint', ['lint']],
  ['buf breaking', ['breaking', '--against', 'baseline.binpb']],
];
let failed = false;
for (const [name, args] of checks) {
  // A minute at most: both take well under a second.
  const result = spawnSync(buf, args, { cwd: proto, stdio: 'inherit', timeout: 60_000 });
  if (result.error !== undefined) {
    console.error(`check-proto: ${name} could not run: ${result.error.message}`);
    failed = true;
  } else if (result.status !== 0) {
    console.error(`check-proto: ${name} failed (exit ${result.status}); see proto/buf.yaml`);
    failed = true;
  }
}
if (failed) process.exit(1);
console.log('check-proto: buf lint and buf breaking (against proto/baseline.binpb) pass');
