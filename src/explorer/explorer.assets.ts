import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** SPEC §13: the client routes that answer with the explorer's HTML shell (kept out of the OpenAPI document). */
export const EXPLORER_PAGES = ['/', 'ui', 'explore', 'saved', 'apps', 'operator', 'keys'];

/** Where @fastify/static serves the explorer's hashed assets. */
export const EXPLORER_ASSETS_PREFIX = '/ui/assets/';

/**
 * SPEC §13: nothing from outside the service and no inline script. Styles are files too; uPlot and
 * Preact set element styles through the CSSOM, which `style-src 'self'` does not restrict.
 */
export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the build (`web/build.mjs`) writes the explorer: `index.html` and `ui/assets/<name>-<hash>.*`. */
export function explorerDir(): string {
  // Walk up from this file to the package root: the same answer from dist/src (the service) and src (jest).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(dir, 'dist', 'web');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Factline</title></head>
<body><h1>Factline</h1><p>The explorer is not built. Run <code>npm run build</code> (<code>npm start</code> does it), then reload.</p></body></html>`;

/** The explorer's HTML shell, read once: every client route serves the same page. */
export function readExplorerHtml(dir = explorerDir()): string {
  const file = path.join(dir, 'index.html');
  return existsSync(file) ? readFileSync(file, 'utf8') : NOT_BUILT;
}
