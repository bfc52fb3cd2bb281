// Real-browser helpers for the portal's tests: Debian's Chromium driven by playwright-core, axe-core run
// inside the page, screenshots into docs/images/ when PORTCULLIS_SCREENSHOTS=1. Without /usr/bin/chromium
// (a bare machine) `launchChromium()` answers the reason to skip instead of a browser.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

// page.evaluate callbacks run in the page; this program is compiled without the DOM lib.
declare const document: any, window: any;

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Why the browser tests are skipped on this machine, or null when they can run. */
export function browserSkipReason(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the portal's browser tests`;
  if (!existsSync(join(ROOT, 'dist', 'portal-ui', 'index.html'))) return 'dist/portal-ui is not built: run `npm run build`';
  return null;
}

export async function launchChromium(): Promise<Browser> {
  // playwright gives every launch a fresh temporary profile (--user-data-dir) and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const VIEWPORTS = {
  desktop: { width: 1280, height: 820 },
  narrow: { width: 390, height: 844 },
} as const;

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and CSP violations seen so far: a page should end every test with none. */
  problems: string[];
}

/** A new page in its own context that records console errors, page errors and CSP violations. */
export async function openPage(browser: Browser, options: { viewport?: keyof typeof VIEWPORTS; colorScheme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: VIEWPORTS[options.viewport ?? 'desktop'],
    colorScheme: options.colorScheme ?? 'light',
    locale: 'en-GB',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const problems: string[] = [];
  page.on('console', (message) => {
    // The signed-out probe of GET me answers 401 by design; Chromium logs every failed fetch.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, context, problems };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (WCAG 2.1 A/AA rules and best practices) and answers the serious and critical
 * violations, described one a line. The script is evaluated through the DevTools protocol, which the
 * page's CSP (`script-src 'self'`) does not govern; a <script> tag would be refused by it.
 */
/**
 * axe's serious and critical violations on the page as it is now. `rules`: only those (a page re-themed
 * after a full check changes its colours, not its markup: `['color-contrast']`).
 */
export async function seriousViolations(page: Page, rules?: string[]): Promise<string[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) {
    const { readFileSync } = await import('node:fs');
    await page.evaluate(readFileSync(AXE, 'utf8'));
  }
  const violations = await page.evaluate(async (only) => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'], ...(only ? { runOnly: { type: 'rule', values: only } } : {}) });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  }, rules);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Both pictures of the page as it is now (desktop, then the page resized to a phone and back). */
export async function maybeScreenshots(page: Page, name: string): Promise<void> {
  if (process.env.PORTCULLIS_SCREENSHOTS !== '1') return;
  const size = page.viewportSize();
  await maybeScreenshot(page, name, 'desktop');
  await page.setViewportSize(VIEWPORTS.narrow);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(200);
  await maybeScreenshot(page, name, 'narrow');
  if (size) await page.setViewportSize(size);
}

/** Writes docs/images/portal-<name>-<viewport>.png when PORTCULLIS_SCREENSHOTS=1 (not on ordinary runs). */
export async function maybeScreenshot(page: Page, name: string, viewport: keyof typeof VIEWPORTS): Promise<void> {
  if (process.env.PORTCULLIS_SCREENSHOTS !== '1') return;
  const dir = join(ROOT, 'docs', 'images');
  mkdirSync(dir, { recursive: true });
  // A picture of the page, not of the notifications earlier steps left (dismissed as a user would).
  const dismiss = page.getByRole('button', { name: 'Dismiss' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await page.screenshot({ path: join(dir, `portal-${name}-${viewport}.png`), fullPage: viewport !== 'narrow', animations: 'disabled' });
}
