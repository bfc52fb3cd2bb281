// Portal test harness: the test app (real store, manual clock, captured logs) with the portal
// registered on a public listener (Fastify inject, or listen(0) for raw-path tests), a built UI in a
// temp folder, and a browser-like client that keeps its cookie and sends the CSRF token.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildGateway } from '../../src/gateway/start.js';
import { registerPortal } from '../../src/portal/plugin.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { noteSecret, noteSecretsIn } from '../helpers/logs.js';
import { type StoreAdapter, tempDir } from '../helpers/stores.js';

export const PASSWORD = 'correct horse battery staple';
export const INDEX_HTML =
  '<!doctype html><html><head><meta name="portal-base" content="__PORTAL_BASE__"><link rel="stylesheet" href="__PORTAL_BASE__/assets/app.css"></head><body><script type="module" src="__PORTAL_BASE__/assets/app-ABCDEFGH.js"></script></body></html>';

export interface PortalHarness extends TestApp {
  portal: Awaited<ReturnType<typeof buildGateway>>;
  uiDir: string;
  /** A new browser: its own cookie jar. */
  browser(): Browser;
  /** The token of an outbox message to `to` linking to `page`, from its link's fragment (the newest when the clock moved between them). */
  tokenFromOutbox(to: string, page?: 'accept' | 'reset' | 'verify'): Promise<string>;
}

export interface Answer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  cookies: LightMyRequestResponse['cookies'];
}

export interface Browser {
  cookie: string | undefined;
  csrfToken: string | undefined;
  /** Sends as the portal's own page would: Sec-Fetch-Site same-origin and the CSRF token on writes, unless `headers` says otherwise. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string | undefined>): Promise<Answer>;
  signIn(email: string, password?: string): Promise<Answer>;
}

export function writeUi(dir: string): void {
  mkdirSync(join(dir, 'assets', 'fonts'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX_HTML);
  writeFileSync(join(dir, 'assets', 'app-ABCDEFGH.js'), 'console.log("portal")');
  writeFileSync(join(dir, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(dir, 'assets', 'fonts', 'inter.woff2'), 'font');
  writeFileSync(join(dir, 'secret.txt'), 'not an asset');
}

export async function createPortalHarness(
  options: { adapter?: StoreAdapter; config?: Record<string, unknown>; uiBuilt?: boolean } = {},
): Promise<PortalHarness> {
  const t = await createTestApp({
    ...(options.adapter ? { adapter: options.adapter } : {}),
    config: { portal: { publicUrl: 'https://portal.example.com' }, ...options.config },
  });
  const tmp = tempDir();
  const uiDir = join(tmp.dir, 'portal-ui');
  if (options.uiBuilt !== false) writeUi(uiDir);
  const portal = await buildGateway({ app: t.app, apis: [], baseDir: tmp.dir, register: (server) => registerPortal(server, { app: t.app, uiDir }) });
  const base = t.app.config.portal.path;

  function browser(): Browser {
    const b: Browser = {
      cookie: undefined,
      csrfToken: undefined,
      async request(method, path, body, headers = {}) {
        const unsafe = !['GET', 'HEAD'].includes(method);
        const sent: Record<string, string> = {};
        const defaults: Record<string, string | undefined> = {
          ...(unsafe ? { 'sec-fetch-site': 'same-origin' } : {}),
          ...(unsafe && b.csrfToken ? { 'x-csrf-token': b.csrfToken } : {}),
          ...(b.cookie ? { cookie: b.cookie } : {}),
          ...headers,
        };
        for (const [name, value] of Object.entries(defaults)) if (value !== undefined) sent[name] = value;
        const response = await portal.fastify.inject({
          method: method as InjectOptions['method'],
          url: path.startsWith('/') ? path : `${base}/api/v1/${path}`,
          headers: sent,
          ...(body === undefined ? {} : { payload: body as object }),
        } as InjectOptions);
        let parsed: unknown = response.body;
        try {
          parsed = response.body ? JSON.parse(response.body) : null;
        } catch {}
        noteSecretsIn(parsed);
        const set = response.cookies.find((c) => c.name.endsWith('portcullis_session'));
        if (set) b.cookie = set.value ? `${set.name}=${set.value}` : undefined;
        if (set?.value) noteSecret(set.value);
        const token = (parsed as { csrfToken?: string } | null)?.csrfToken;
        if (token) b.csrfToken = token;
        return { status: response.statusCode, body: parsed, headers: response.headers, cookies: response.cookies };
      },
      signIn(email, password = PASSWORD) {
        return b.request('POST', 'session', { email, password });
      },
    };
    return b;
  }

  return {
    ...t,
    portal,
    uiDir,
    browser,
    async tokenFromOutbox(to, page = 'accept') {
      const outbox = await t.app.store.listOutboxMessages({ limit: 100 });
      const message = outbox.items.find((m) => m.recipient === to && m.text.includes(`/${page}#token=`));
      const token = message?.text.match(/#token=([A-Za-z0-9_-]+)/)?.[1];
      if (!token) throw new Error(`no link for ${to} in the outbox`);
      noteSecret(token);
      return token;
    },
    async close() {
      await portal.fastify.close();
      await portal.handler.close();
      await t.close();
      tmp.remove();
    },
  };
}

/** A member of a new consumer with a password, signed in in a browser of its own. */
export async function member(h: PortalHarness, consumerName: string, email: string, role: 'owner' | 'developer' = 'owner') {
  const consumer = (await h.call('POST', '/admin/v1/consumers', { name: consumerName })).body;
  await h.call('POST', `/admin/v1/consumers/${consumer.id}/members`, { email, role });
  const b = h.browser();
  const accepted = await b.request('POST', 'invitations/accept', { token: await h.tokenFromOutbox(email), password: PASSWORD });
  if (accepted.status !== 200) throw new Error(`accept: ${JSON.stringify(accepted.body)}`);
  return { consumer, browser: b, session: accepted.body };
}
