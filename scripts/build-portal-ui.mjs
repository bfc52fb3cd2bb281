// Builds the developer portal's browser app (portal-ui/) into dist/portal-ui/: index.html with the
// __PORTAL_BASE__ placeholder the server fills in, assets/app.js and assets/app.css (esbuild, minified, no
// source maps), and for the API reference page only Swagger UI's files under assets/swagger-ui/ with
// assets/reference.css (its fit to the portal).
// Prints the gzipped size of the member pages' JavaScript (the goal in issue #22 is at most 150 KB).
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'portal-ui');
const out = join(root, 'dist', 'portal-ui');
const assets = join(out, 'assets');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(assets, 'swagger-ui'), { recursive: true });

await build({
  entryPoints: { app: join(source, 'src', 'main.tsx'), 'app-style': join(source, 'src', 'styles.css'), reference: join(source, 'src', 'reference.css') },
  outdir: assets,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});
// esbuild names a CSS entry after its key; the page links assets/app.css.
writeFileSync(join(assets, 'app.css'), readFileSync(join(assets, 'app-style.css')));
rmSync(join(assets, 'app-style.css'));

const html = readFileSync(join(source, 'index.html'), 'utf8');
if (!html.includes('__PORTAL_BASE__')) throw new Error('portal-ui/index.html lost its __PORTAL_BASE__ placeholder');
writeFileSync(join(out, 'index.html'), html);
copyFileSync(join(source, 'favicon.svg'), join(assets, 'favicon.svg'));

const swagger = join(root, 'node_modules', 'swagger-ui-dist');
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE']) {
  // The source-map comments point at maps that are not shipped; a browser with DevTools open would ask for them.
  const text = readFileSync(join(swagger, file), 'utf8').replace(/\n?\/[/*][#@] sourceMappingURL=\S+(?: \*\/)?\s*$/, '\n');
  writeFileSync(join(assets, 'swagger-ui', file), text);
}

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const js = gz(join(assets, 'app.js'));
console.log(
  `portal-ui: member pages ${kb(js)} JS + ${kb(gz(join(assets, 'app.css')))} CSS gzipped (goal: JS ≤ 150 KB); ` +
    `reference page adds ${kb(gz(join(assets, 'swagger-ui', 'swagger-ui-bundle.js')))} JS, loaded only there`,
);
