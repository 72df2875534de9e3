// Bundles the web console at build time (`pnpm build` runs it after the type check): the page's
// TypeScript with uPlot into dist/assets/app.js, its stylesheet with uPlot's into app.css, and
// index.html beside them. tandemd serves that directory on its HTTP port; nothing comes from a CDN.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/assets');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: path.join(root, 'src/browser/main.ts'), style: path.join(root, 'static/console.css') },
  outdir: out,
  entryNames: '[name]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(path.join(root, 'static/index.html'), path.join(out, 'index.html'));
console.log(`console: bundled into ${path.relative(process.cwd(), out) || out}`);
