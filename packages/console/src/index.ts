// @tandem/console for Node: where the bundled console is (tandemd serves it on its HTTP port) and
// the shapes of the JSON API that the server answers and the page reads.
export * from './api-types.js';

/**
 * The directory of the bundled console (index.html, app.js, app.css), as `scripts/bundle.mjs`
 * writes it at build time; it holds nothing before the first build.
 */
export const CONSOLE_ASSETS_URL: URL = new URL('../assets/', import.meta.url);
