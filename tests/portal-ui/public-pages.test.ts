// The portal's signed-out pages in Chromium, served from the built files by tests/portal-ui/static-server.ts
// with the portal's CSP: they render with the branding, trip no CSP rule and no script error, pass axe-core
// with no serious or critical violation (light and dark, desktop and phone), and work from the keyboard.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkipReason, launchChromium, maybeScreenshot, openPage, seriousViolations, VIEWPORTS } from './browser.js';
import { type StaticPortal, startStaticPortal } from './static-server.js';

// page.evaluate callbacks run in the page; this program is compiled without the DOM lib.
declare const document: any, window: any, history: any, location: any, getComputedStyle: any;

const skip = browserSkipReason();
if (skip) console.log(`# portal-ui browser tests skipped: ${skip}`);

describe('portal pages, signed out (Chromium)', { skip: skip ?? false }, () => {
  let browser: Browser;
  let portal: StaticPortal;
  let openPortal: StaticPortal;

  before(async () => {
    browser = await launchChromium();
    portal = await startStaticPortal();
    openPortal = await startStaticPortal({ signup: 'open', title: 'Globex Developers', primaryColor: '#e11d48' });
  });
  after(async () => {
    await browser?.close();
    await portal?.close();
    await openPortal?.close();
  });

  const pages: { name: string; path: string; heading: RegExp; server?: () => StaticPortal }[] = [
    { name: 'sign-in', path: '/sign-in', heading: /^Sign in$/ },
    { name: 'forgot', path: '/forgot', heading: /Reset your password/ },
    { name: 'reset', path: '/reset#token=tok_example', heading: /Choose a new password/ },
    { name: 'accept', path: '/accept#token=tok_example', heading: /Accept your invitation/ },
    { name: 'sign-up', path: '/sign-up', heading: /Create your account/, server: () => openPortal },
  ];

  // One page a route, checked in each size and colour scheme as it is resized and re-themed: the same
  // checks as a fresh page for each, without a new browser context and page load for each.
  for (const { name, path, heading, server } of pages) {
    it(`${name} renders under the CSP with no serious axe violation (desktop and narrow, light and dark)`, async () => {
      const { page, context, problems } = await openPage(browser);
      try {
        await page.goto(`${(server?.() ?? portal).url}${path}`);
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        for (const viewport of ['desktop', 'narrow'] as (keyof typeof VIEWPORTS)[]) {
          await page.setViewportSize(VIEWPORTS[viewport]);
          for (const colorScheme of ['light', 'dark'] as const) {
            // Reduced motion turns the pages' colour transitions off, so axe reads the new scheme's colours.
            await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
            // Every rule in light; in dark the markup is the same and only the colours are new.
            assert.deepEqual(await seriousViolations(page, colorScheme === 'dark' ? ['color-contrast'] : undefined), [], `${viewport}, ${colorScheme}`);
            if (colorScheme === 'light') await maybeScreenshot(page, name, viewport);
          }
        }
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  }

  it('applies the branding: title, and an accent derived from primaryColor through the CSSOM', async () => {
    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${openPortal.url}/sign-in`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await page.title(), 'Globex Developers');
      const accent = await page.evaluate(() => document.documentElement.style.getPropertyValue('--accent-light'));
      assert.match(accent, /^rgb\(\d+ \d+ \d+\)$/);
      const button = await page.getByRole('button', { name: 'Sign in' }).evaluate((b) => getComputedStyle(b).backgroundColor);
      assert.equal(button.replaceAll(',', ''), accent.replace('rgb(', 'rgb(').replaceAll(' ', ' '));
      assert.ok(await page.getByRole('link', { name: 'Create an account' }).isVisible(), 'open sign-up shows its link');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  for (const primaryColor of ['#facc15', '#22d3ee', '#111827']) {
    it(`derives an accent that keeps AA contrast from a hard branding colour (${primaryColor}), light and dark`, async () => {
      const branded = await startStaticPortal({ primaryColor, signup: 'open' });
      try {
        const { page, context, problems } = await openPage(browser);
        try {
          await page.goto(`${branded.url}/sign-in`);
          await page.getByRole('heading', { name: 'Sign in' }).waitFor();
          for (const colorScheme of ['light', 'dark'] as const) {
            await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
            assert.deepEqual(await seriousViolations(page, ['color-contrast']), [], `${colorScheme}: the button, links and focus ring on ${primaryColor}`);
          }
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      } finally {
        await branded.close();
      }
    });
  }

  it('takes a one-time token out of the address bar as soon as the page opens', async () => {
    const { page, context } = await openPage(browser);
    try {
      await page.goto(`${portal.url}/accept#token=tok_secret_value`);
      await page.getByLabel('New password').waitFor();
      assert.equal(new URL(page.url()).hash, '');
      assert.equal(await page.evaluate(() => history.length >= 1 && location.href.includes('tok_secret_value')), false);
    } finally {
      await context.close();
    }
  });

  it('after email verification, the sign-in page says the address is verified', async () => {
    const { page, context } = await openPage(browser);
    try {
      await page.goto(`${portal.url}/sign-in?verified=1`);
      await page.getByRole('status').filter({ hasText: 'Your email address is verified' }).waitFor();
      assert.deepEqual(await seriousViolations(page), []);
    } finally {
      await context.close();
    }
  });

  it('says so when a token page is opened without its link', async () => {
    const { page, context } = await openPage(browser);
    try {
      await page.goto(`${portal.url}/reset`);
      await page.getByText('This page needs the link from your password reset email').waitFor();
      assert.equal(await page.getByLabel('New password').count(), 0);
    } finally {
      await context.close();
    }
  });

  it('sends a signed-out visitor of a signed-in page to sign in, remembering where they were going', async () => {
    const { page, context } = await openPage(browser);
    try {
      await page.goto(`${portal.url}/keys`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      const url = new URL(page.url());
      assert.equal(url.pathname, '/portal/sign-in');
      assert.equal(url.searchParams.get('next'), '/keys');
    } finally {
      await context.close();
    }
  });

  it('works from the keyboard: tab order, Enter submits, the problem detail is shown and announced', async () => {
    const { page, context } = await openPage(browser);
    try {
      await page.goto(`${portal.url}/sign-in`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Acme API', 'the brand link comes first');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'email');
      await page.keyboard.type('dev@example.com');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'password');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      assert.notEqual(outline, 'none', 'the focused field shows a focus ring');
      await page.keyboard.type('a password that is long');
      await page.keyboard.press('Enter');
      // The static server has no session route: its 404 problem's detail must reach the user.
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /No such portal route in the test server/);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Sign in', 'focus stays in order after an error');
    } finally {
      await context.close();
    }
  });

  it('navigates between pages without a reload and moves focus to the new heading', async () => {
    const { page, context } = await openPage(browser);
    try {
      await page.goto(`${portal.url}/sign-in`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.evaluate(() => {
        (window as unknown as { marker: number }).marker = 42;
      });
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
      assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'no reload');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'page-title');
      await page.goBack();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('answers an unknown asset with a 404, not the page', async () => {
    const response = await fetch(`${portal.url}/assets/nope.js`);
    assert.equal(response.status, 404);
  });
});
