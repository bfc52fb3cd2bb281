// The portal end to end in Chromium against a real Portcullis (demo mode, SQLite, the built-in echo
// upstream): invite → accept → create a key (read from the page) → call the gateway with it → see it in
// usage → roll → revoke → the gateway refuses it; an OAuth client → a token → a call; an operator signs in
// with the one-time link and disables the consumer, and the gateway refuses its credentials. axe-core runs
// on every page on the way; PORTCULLIS_SCREENSHOTS=1 writes the pictures in docs/images/.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { validateConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { noteSecret, testLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';
import { browserSkipReason, launchChromium, maybeScreenshots, openPage, seriousViolations, type WatchedPage } from './browser.js';

const backend = existsSync(resolve('dist/src/portal/plugin.js')) ? null : 'the portal backend (src/portal) is not in this build yet';
const skip = browserSkipReason() ?? backend;
if (skip) console.log(`# portal-ui end-to-end flows skipped: ${skip}`);

// page.evaluate callbacks run in the page; this program is compiled without the DOM lib.
declare const document: any;

const PASSWORD = 'correct horse battery staple';

const ORDERS_OPENAPI = `openapi: 3.0.3
info: { title: Orders, version: '1.0' }
paths:
  /orders/{id}:
    get:
      operationId: getOrder
      summary: One order
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        '200': { description: The order }
`;

/** Every loading indicator of the page gone (a page may show several at once, one a section). */
const loaded = (page: Page) => page.waitForFunction(() => document.querySelector('.loading') === null);

describe('portal end to end (Chromium, real Portcullis)', { skip: skip ?? false }, () => {
  let browser: Browser;
  let running: RunningPortcullis;
  let tmp: ReturnType<typeof tempDir>;
  let banner = '';
  let member: WatchedPage;
  let gatewayPath = '';
  let key = '';
  let upstream: Upstream;

  /** A link from the start banner: on the listener's real address, though it listens on port 0. */
  const link = (page: string) => {
    const found = new RegExp(`https?://\\S+/portal/${page}#token=\\S+`).exec(banner);
    assert.ok(found, `the start banner prints a ${page} link:\n${banner}`);
    assert.equal(new URL(found[0]).origin, running.gatewayUrl);
    return found[0];
  };
  const gateway = (headers: Record<string, string>) => fetch(`${running.gatewayUrl}${gatewayPath}/hello`, { headers });
  /**
   * The gateway's status for a credential that a change just refused: changes reach the gateway's cache
   * through the event bus (within 100 ms by contract), so this asks again until it is refused, within a bound.
   */
  async function refusedStatus(headers: Record<string, string>): Promise<number> {
    const bound = Date.now() + 5_000;
    let status = (await gateway(headers)).status;
    while (status === 200 && Date.now() < bound) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await gateway(headers)).status;
    }
    return status;
  }

  /** axe on the page as it is now, and its picture when asked for. */
  async function check(page: Page, name: string, problems: string[]) {
    assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`);
    assert.deepEqual(problems.splice(0), [], `console and CSP on ${name}`);
    await maybeScreenshots(page, name);
  }

  before(async () => {
    tmp = tempDir();
    // An API with an OpenAPI document beside the demo's echo API, for the reference page.
    upstream = await startUpstream();
    writeFileSync(join(tmp.dir, 'orders.yaml'), ORDERS_OPENAPI);
    const config = validateConfig(
      {
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['api-key'], openapi: join(tmp.dir, 'orders.yaml') }],
        store: `sqlite:${join(tmp.dir, 'portal.db')}`,
        // Port 0: the start binds it first, so the issuer, links and snippets carry the port bound.
        listen: { host: '127.0.0.1', port: 0 },
        admin: { port: 0 },
        oauth: { masterKey: generateMasterKey() },
      },
      'test',
    );
    running = await startPortcullis({ loaded: { config, path: null, demo: true }, logger: testLogger('warn'), print: (text) => (banner += text) });
    noteSecret(running.firstAdminKey, running.demo?.key);
    browser = await launchChromium();
    member = await openPage(browser);
  });
  after(async () => {
    await browser?.close();
    await running?.close();
    await upstream?.close();
    tmp?.remove();
  });

  it('a member accepts the invitation and lands on Getting started', async () => {
    const { page, problems } = member;
    await page.goto(link('accept'));
    await page.getByLabel('New password').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar as soon as the page is up');
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: /Create account/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Getting started' }).waitFor();
    await check(page, 'getting-started', problems);
    const apis: any = await page.evaluate(async () => (await fetch('/portal/api/v1/apis', { credentials: 'same-origin' })).json());
    const list = apis as { name: string; basePath: string }[];
    // The demo's echo API is added at start, after the config's: the portal lists both.
    assert.deepEqual(
      list.map((api) => api.basePath),
      ['/orders', '/echo'],
    );
    gatewayPath = '/echo';
  });

  it('creates a key, reads it from the page once, and the gateway accepts it', async () => {
    const { page, problems } = member;
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByRole('button', { name: 'Create key' }).first().click();
    await page.getByRole('dialog').getByLabel('Name').fill('ci deploy');
    // An IP allowlist: a wrong entry is refused on its field (IP_ALLOWLIST_INVALID), then this machine's addresses.
    const allowedIps = page.getByRole('dialog').getByLabel('Allowed IP addresses (optional)');
    await allowedIps.fill('127.0.0.1\n10.0.0.0/33');
    await page.getByRole('dialog').getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('dialog').locator('.field-error', { hasText: '10.0.0.0/33' }).waitFor();
    assert.equal(await allowedIps.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(problems.splice(0), ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await allowedIps.fill('127.0.0.1\n::1');
    await page.getByRole('dialog').getByRole('button', { name: 'Create key' }).click();
    key = ((await page.locator('[data-secret]').textContent()) ?? '').trim();
    noteSecret(key);
    assert.match(key, /^[a-z]+_[0-9A-Za-z]{36}$/);
    await check(page, 'key-created', problems);
    assert.equal((await gateway({ authorization: `Bearer ${key}` })).status, 200);
    await page.getByRole('button', { name: 'I have stored it safely' }).click();
    assert.equal(await page.locator('[data-secret]').count(), 0, 'the plaintext is gone from the page');
    await page.locator('tr', { hasText: 'ci deploy' }).getByText('2 IP ranges').waitFor();
    await check(page, 'keys', problems);
  });

  it('shows the call in usage', async () => {
    const { page, problems } = member;
    await page.getByRole('link', { name: 'Usage' }).click();
    // Usage is recorded in batches: look again until the call is counted (a bound, not a timing).
    const requests = page.locator('.stat').filter({ hasText: 'Requests' }).locator('.stat-value');
    for (let attempt = 0; attempt < 20 && (await requests.textContent().catch(() => '0')) === '0'; attempt++) {
      await page.waitForTimeout(500);
      await page.getByLabel('Per', { exact: true }).selectOption(attempt % 2 ? 'hour' : 'day');
    }
    assert.notEqual(await requests.textContent(), '0');
    await page.getByLabel('Per', { exact: true }).selectOption('hour');
    await check(page, 'usage', problems);
    await page.emulateMedia({ colorScheme: 'dark' });
    await check(page, 'usage-dark', problems);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('rolls the key with no overlap: the old one is refused, the new one works; revoking it refuses it too', async () => {
    const { page, problems } = member;
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Roll ci deploy' }).click();
    await page.getByRole('dialog').getByLabel('The old key stops working').selectOption('0');
    await page.getByRole('dialog').getByRole('button', { name: 'Roll key' }).click();
    const rolled = ((await page.locator('[data-secret]').textContent()) ?? '').trim();
    noteSecret(rolled);
    assert.notEqual(rolled, key);
    await page.getByRole('button', { name: 'I have stored it safely' }).click();
    assert.equal(await refusedStatus({ authorization: `Bearer ${key}` }), 401);
    assert.equal((await gateway({ authorization: `Bearer ${rolled}` })).status, 200);
    // Both keys are named "ci deploy" now: the new one's row is the one with its masked form.
    const masked = `${rolled.slice(0, rolled.indexOf('_') + 5)}…${rolled.slice(-4)}`;
    await page.locator('tr', { hasText: masked }).getByRole('button', { name: 'Revoke ci deploy' }).click();
    const confirm = page.getByRole('dialog');
    // A destructive confirmation opens on Cancel (focus moves there once the dialog is shown).
    await page.waitForFunction(() => document.activeElement?.textContent === 'Cancel');
    await check(page, 'revoke-confirm', problems);
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('Key revoked.').waitFor();
    assert.equal(await refusedStatus({ authorization: `Bearer ${rolled}` }), 401);
  });

  it('creates an OAuth client whose token the gateway accepts', async () => {
    const { page, problems } = member;
    await page.getByRole('link', { name: 'OAuth clients' }).click();
    await page.getByRole('button', { name: 'Create client' }).first().click();
    await page.getByRole('dialog').getByLabel('Name').fill('invoicing worker');
    await page.getByRole('dialog').getByRole('button', { name: 'Create client' }).click();
    const secret = ((await page.locator('[data-secret]').textContent()) ?? '').trim();
    const clientId = ((await page.locator('.secret-row code').first().textContent()) ?? '').trim();
    noteSecret(secret);
    await check(page, 'client-created', problems);
    const token = await fetch(`${running.gatewayUrl}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(token.status, 200);
    const { access_token } = (await token.json()) as { access_token: string };
    noteSecret(access_token);
    const call = await gateway({ authorization: `Bearer ${access_token}` });
    assert.equal(call.status, 200, 'the demo API takes access tokens too');
    await page.getByRole('button', { name: 'I have stored it safely' }).click();
    await check(page, 'clients', problems);

    // A private_key_jwt client: its JWK Set pasted at creation, then replaced with "Replace keys".
    const jwks = (kid: string) =>
      JSON.stringify({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid }] });
    await page.getByRole('button', { name: 'Create client' }).first().click();
    await page.getByRole('dialog').getByLabel('Name').fill('signer');
    await page.getByRole('dialog').getByLabel('Authentication at the token endpoint').selectOption('private_key_jwt');
    await page.getByRole('dialog').getByLabel('Public keys (JWKS)').fill(jwks('first'));
    await page.getByRole('dialog').getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('button', { name: 'Replace keys of signer' }).click();
    await page.getByRole('dialog').getByLabel('Public keys (JWKS)').fill(jwks('second'));
    await page.getByRole('dialog').getByRole('button', { name: 'Replace keys' }).click();
    await page.getByText('Keys replaced.', { exact: false }).waitFor();
    const listed: any = await page.evaluate(async () => (await fetch('/portal/api/v1/clients', { credentials: 'same-origin' })).json());
    const signer = listed.items.find((c: { name: string }) => c.name === 'signer');
    assert.deepEqual(
      signer.jwks.keys.map((k: { kid: string }) => k.kid),
      ['second'],
    );
    assert.deepEqual(problems.splice(0), [], 'console and CSP on the clients page');
  });

  it('the other member pages pass axe', async () => {
    const { page, problems } = member;
    for (const [nav, heading, shot] of [
      ['Activity', 'Activity', 'activity'],
      ['API reference', 'API reference', 'reference'],
      ['Members', 'Members', 'members'],
      ['Account', 'Account', 'account'],
    ] as const) {
      await page.getByRole('link', { name: nav }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await loaded(page);
      await check(page, shot, problems);
    }
  });

  it('an owner adds a webhook endpoint: the signing secret is shown once, the endpoint is listed', async () => {
    const { page, problems } = member;
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await page.getByRole('button', { name: 'Add endpoint' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('URL').fill('http://192.0.2.1/hooks');
    await dialog.getByLabel('A key is revoked').check();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = ((await page.locator('[data-secret]').textContent()) ?? '').trim();
    noteSecret(secret);
    assert.match(secret, /^whsec_/);
    await page.getByRole('button', { name: 'I have stored it safely' }).click();
    await page.getByRole('cell', { name: 'key.revoked' }).waitFor();
    await check(page, 'webhooks', problems);
  });

  it('the API reference renders an API\'s OpenAPI document pointed at this gateway; "try it" sends a key only once the member authorises one', async () => {
    const { page, problems } = member;
    await page.goto(`${running.gatewayUrl}/portal/reference`);
    await page.getByRole('link', { name: 'Open reference for orders' }).click();
    await page.getByRole('heading', { level: 1, name: 'orders', exact: true }).waitFor();
    await page.locator('.opblock-summary-path', { hasText: '/orders/{id}' }).waitFor();
    assert.equal(await page.locator('select#servers').inputValue(), running.gatewayUrl);
    await loaded(page);
    await check(page, 'reference-orders', problems);
    // Without Authorize, the request goes out with no credential: the gateway refuses it.
    await page.locator('.opblock-summary-path', { hasText: '/orders/{id}' }).click();
    await page.getByRole('button', { name: 'Try it out' }).click();
    await page.locator('input[placeholder="id"]').fill('42');
    await page.getByRole('button', { name: 'Execute' }).click();
    await page.locator('.live-responses-table .response-col_status', { hasText: '401' }).waitFor();
    // With the member's key authorised, the same call reaches the upstream through the gateway.
    const demoKey = running.demo!.key!;
    await page
      .getByRole('button', { name: /Authorize/ })
      .first()
      .click();
    await page.locator('.modal-ux .auth-container input').first().fill(demoKey);
    await page.locator('.modal-ux .auth-container .auth-btn-wrapper button.authorize').first().click();
    await page.locator('.modal-ux button.btn-done').first().click();
    await page.getByRole('button', { name: 'Execute' }).click();
    await page.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor();
    assert.equal(upstream.last?.url, '/orders/42');
    assert.equal(upstream.last?.headers.cookie, undefined, 'the portal session cookie never goes with a "try it" request');
    assert.deepEqual(problems.splice(0), []);
  });

  it('keyboard: the skip link is the first stop and takes focus to the page; a dialog opens on its first field and Escape returns to its opener', async () => {
    const { page, problems } = member;
    await page.goto(`${running.gatewayUrl}/portal/keys`);
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.getByRole('button', { name: 'Create key' }).first().focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'name');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.activeElement?.textContent === 'Create key');
    assert.deepEqual(problems.splice(0), []);
  });

  it('an operator signs in with the one-time link and disables the consumer; the gateway refuses its key', async () => {
    const demoKey = running.demo?.key;
    assert.ok(demoKey);
    assert.equal((await gateway({ authorization: `Bearer ${demoKey}` })).status, 200);
    const { page, problems, context } = await openPage(browser);
    try {
      await page.goto(link('sign-in-link'));
      await page.getByRole('heading', { level: 1, name: 'Consumers' }).waitFor();
      await loaded(page);
      await check(page, 'operator-consumers', problems);
      await page.getByRole('link', { name: 'demo', exact: true }).click();
      await page.getByRole('button', { name: 'Disable consumer' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
      await page.getByText('Consumer disabled.').waitFor();
      await check(page, 'operator-consumer', problems);
      const refused = await refusedStatus({ authorization: `Bearer ${demoKey}` });
      assert.ok(refused === 401 || refused === 403, `a disabled consumer's key is refused: ${refused}`);

      // The operator disables the member's account (confirmed in a dialog): the member is signed out at once.
      await page.getByRole('navigation', { name: 'demo sections' }).getByRole('link', { name: 'Members' }).click();
      await page.getByRole('button', { name: 'Disable developer@example.com' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Disable account' }).click();
      await page.getByText('developer@example.com disabled.').waitFor();
      await page.getByText('Disabled', { exact: true }).last().waitFor();
      await loaded(page);
      await check(page, 'operator-members', problems);

      // The consumer's webhooks: an operator may let an endpoint reach a private address.
      await page.getByRole('navigation', { name: 'demo sections' }).getByRole('link', { name: 'Webhooks' }).click();
      await page.getByRole('heading', { level: 2, name: 'Webhooks' }).waitFor();
      await page.getByRole('button', { name: 'Add endpoint' }).first().click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('URL').fill('http://127.0.0.1:9/hooks');
      await dialog.getByLabel('The organisation is disabled').check();
      await dialog.getByLabel(/Allow private networks/).check();
      await dialog.getByRole('button', { name: 'Add endpoint' }).click();
      noteSecret(((await page.locator('[data-secret]').textContent()) ?? '').trim());
      await page.getByRole('button', { name: 'I have stored it safely' }).click();
      await page.getByText('May reach private networks').waitFor();
      await check(page, 'operator-webhooks', problems);
      await page.getByRole('button', { name: 'Deliveries to http://127.0.0.1:9/hooks' }).click();
      await page.getByRole('dialog').getByText('No message yet', { exact: false }).waitFor();
      await page.keyboard.press('Escape');
      await member.page.reload();
      await member.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      for (const [nav, heading, shot] of [
        ['Gateway usage', 'Gateway usage', 'operator-usage'],
        ['APIs and signing keys', 'APIs and signing keys', 'operator-apis'],
      ] as const) {
        await page.getByRole('link', { name: nav }).click();
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await loaded(page);
        await check(page, shot, problems);
      }
    } finally {
      await context.close();
    }
  });
});
