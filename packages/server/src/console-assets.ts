// The web console's static files (packages/console, bundled by esbuild at build time), read into
// memory when the HTTP port opens and served from there: a handful of small files, bounded in
// number and size. A node built without them still serves the API, and says at / how to build.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_ASSETS_URL } from '@tandem/console';
import { HttpError, type Route, route } from './http-route.js';

/** The console is a few files; more or larger than this is not the console. */
const MAX_ASSET_FILES = 32;
const MAX_ASSETS_BYTES = 8 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

interface Asset {
  contentType: string;
  body: Buffer;
}

/** Reads the bundled files; an empty map when the console was not built. */
export function loadConsoleAssets(directory: string = fileURLToPath(CONSOLE_ASSETS_URL)): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return assets;
  }
  let total = 0;
  for (const name of names.slice(0, MAX_ASSET_FILES)) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    const file = path.join(directory, name);
    if (contentType === undefined || !statSync(file).isFile()) continue;
    const body = readFileSync(file);
    total += body.byteLength;
    if (total > MAX_ASSETS_BYTES) break;
    assets.set(name, { contentType, body });
  }
  return assets;
}

const NOT_BUILT =
  '<!doctype html><title>Tandem console</title><p>The web console was not built into this installation: run <code>pnpm build</code> (it bundles packages/console) and restart tandemd. The JSON API under /api works without it.</p>';

/** GET / (the page) and GET /assets/<file>: open to anyone, since they hold no data. */
export function consoleAssetRoutes(assets: Map<string, Asset>): Route[] {
  const serve = (name: string) => {
    const asset = assets.get(name);
    if (asset === undefined) throw new HttpError(404, 'not_found', `no such file: ${name.slice(0, 100)}`);
    return {
      contentType: asset.contentType,
      body: asset.body,
      headers: { 'cache-control': 'no-cache' },
    };
  };
  return [
    route({
      method: 'GET',
      path: '/',
      roles: 'open',
      handler: () =>
        assets.has('index.html')
          ? serve('index.html')
          : { status: 503, contentType: 'text/html; charset=utf-8', body: NOT_BUILT },
    }),
    route({
      method: 'GET',
      path: '/assets/:name',
      roles: 'open',
      handler: ({ params }) => serve(params.name ?? ''),
    }),
  ];
}
