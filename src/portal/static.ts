// The portal's pages: dist/portal-ui/index.html for every page route (with `__PORTAL_BASE__` replaced
// by the portal's path) and the files under dist/portal-ui/assets/. Only files listed from that
// folder are served, by their exact relative name: the path looked up is never joined to a
// request's text, so no spelling of `..` or an encoded separator can reach another file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/portal-ui, beside dist/src where this module runs from. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../portal-ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** Names esbuild gives hashed outputs (`app-3FZ2K7QX.js`): their content never changes, so they are cached for a year. */
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9]+$/;

export interface UiAsset {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

export interface PortalUi {
  /** The page with the portal's path in it, or undefined when the UI is not built. */
  page(): string | undefined;
  asset(name: string): UiAsset | undefined;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() ? [path] : [];
  });
}

export function createPortalUi(uiDir: string, basePath: string): PortalUi {
  let page: string | undefined;
  let assets: Map<string, string> | undefined;
  const read = new Map<string, UiAsset>();

  /** Read once the UI is there (it may be built after the server started), then kept. */
  function load(): boolean {
    if (page !== undefined) return true;
    try {
      const html = readFileSync(join(uiDir, 'index.html'), 'utf8');
      const assetDir = join(uiDir, 'assets');
      const files = statSync(assetDir, { throwIfNoEntry: false })?.isDirectory() ? listFiles(assetDir) : [];
      assets = new Map(files.map((file) => [relative(assetDir, file).split(sep).join('/'), file]));
      page = html.replaceAll('__PORTAL_BASE__', basePath);
      return true;
    } catch {
      return false;
    }
  }

  return {
    page: () => (load() ? page : undefined),
    asset(name) {
      if (!load()) return undefined;
      const file = assets!.get(name);
      if (!file) return undefined;
      let asset = read.get(name);
      if (!asset) {
        const contentType = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
        asset = { body: readFileSync(file), contentType, cacheControl: HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache' };
        read.set(name, asset);
      }
      return asset;
    },
  };
}
