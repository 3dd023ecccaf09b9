// Builds the explorer (SPEC §13): web/src → dist/web/index.html + dist/web/ui/assets/<name>-<hash>.{js,css}
// (+ .gz for @fastify/static's preCompressed). Run by `npm run build`, so `npm start` and `npm test` build it.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'web');
const assets = path.join(out, 'ui', 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

// The explorer takes the SDK's types (web/tsconfig.json maps @factline/client to clients/typescript),
// never its code: `import type` is erased before bundling, so any import that reaches here is a
// value import that would ship openapi-fetch and the client, and fails the build.
const sdkTypesOnly = {
  name: 'sdk-types-only',
  setup(b) {
    b.onResolve({ filter: /^@factline\/client(\/|$)/ }, (args) => ({
      errors: [{ text: `${args.importer} imports ${args.path} as a value: the explorer uses the SDK's types only (import type { … } from '${args.path}')` }],
    }));
  },
};

const result = await build({
  entryPoints: { app: path.join(root, 'web/src/main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: assets,
  metafile: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [sdkTypesOnly],
});

const outputs = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
if (!js || !css) throw new Error(`explorer build: expected one .js and one .css, got ${outputs.join(', ')}`);
for (const f of outputs) writeFileSync(path.join(assets, `${f}.gz`), gzipSync(readFileSync(path.join(assets, f)), { level: 9 }));

const html = readFileSync(path.join(root, 'web/index.html'), 'utf8')
  .replace('%CSS%', `/ui/assets/${css}`)
  .replace('%JS%', `/ui/assets/${js}`);
writeFileSync(path.join(out, 'index.html'), html);
