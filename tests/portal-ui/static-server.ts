// Until the portal's backend lands, the browser tests serve the built pages from this small server: it
// answers like the contract says for what the signed-out pages need — index.html with __PORTAL_BASE__
// replaced for every page route, the assets, the portal's headers, `GET {base}/api/v1/portal` and a
// 401 SESSION_REQUIRED problem for `GET {base}/api/v1/me`. Anything else under /api/ is a 404 problem.
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'portal-ui');

export const PORTAL_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' };

export interface StaticPortal {
  url: string;
  base: string;
  close(): Promise<void>;
}

export interface PortalSettings {
  title: string;
  logoUrl: string | null;
  primaryColor: string | null;
  signup: 'invite' | 'open' | 'domains';
}

export async function startStaticPortal(settings: Partial<PortalSettings> = {}, base = '/portal'): Promise<StaticPortal> {
  const index = readFileSync(join(DIST, 'index.html'), 'utf8').replaceAll('__PORTAL_BASE__', base);
  let origin = '';
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, {
      'content-type': type,
      'content-security-policy': PORTAL_CSP,
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'cache-control': type.startsWith('text/html') || type.includes('json') ? 'no-store' : 'public, max-age=300',
    });
    res.end(body);
  };
  const problem = (res: ServerResponse, status: number, code: string, detail: string) =>
    send(res, status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title: code, status, code, detail }));

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== base && !path.startsWith(`${base}/`)) return problem(res, 404, 'NOT_FOUND', 'Not under the portal');
    const rest = path.slice(base.length) || '/';
    if (rest === '/api/v1/portal' && req.method === 'GET') {
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({
          title: 'Acme API',
          logoUrl: null,
          primaryColor: '#4f46e5',
          signup: 'invite',
          ...settings,
          issuer: origin,
          tokenUrl: `${origin}/oauth/token`,
          gatewayUrl: origin,
        }),
      );
    }
    if (rest === '/api/v1/me') return problem(res, 401, 'SESSION_REQUIRED', 'Sign in to continue.');
    if (rest.startsWith('/api/')) return problem(res, 404, 'NOT_FOUND', 'No such portal route in the test server');
    if (rest.startsWith('/assets/')) {
      const file = normalize(join(DIST, rest));
      if (!file.startsWith(join(DIST, 'assets') + sep)) return problem(res, 404, 'NOT_FOUND', 'No such file');
      try {
        const ext = file.slice(file.lastIndexOf('.'));
        return send(res, 200, TYPES[ext] ?? 'application/octet-stream', readFileSync(file));
      } catch {
        return problem(res, 404, 'NOT_FOUND', 'No such file');
      }
    }
    return send(res, 200, TYPES['.html']!, index);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}${base}`,
    base,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
