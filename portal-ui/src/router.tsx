// A small History API router under the portal's base path (from <meta name="portal-base">, which the
// server fills in). Routes are patterns like `/admin/consumers/:id`.

import type { ComponentChildren, PartialAnchorHTMLAttributes } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';

function readBase(): string {
  const meta = document.querySelector('meta[name="portal-base"]')?.getAttribute('content') ?? '';
  // An unreplaced placeholder (opening the file straight from disk) means "the site root".
  return meta.startsWith('__') ? '' : meta.replace(/\/+$/, '');
}

export const base = readBase();

export interface Location {
  path: string;
  query: URLSearchParams;
}

/** The path under the base, e.g. `/keys`. */
export function currentPath(): string {
  const { pathname } = window.location;
  return pathname.startsWith(base) ? pathname.slice(base.length) || '/' : pathname;
}

function current(): Location {
  return { path: currentPath(), query: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${base}${to}`;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation((was) => (was.path === currentPath() && was.query.toString() === window.location.search.slice(1) ? was : current()));
    listeners.add(update);
    // A child's <Redirect> runs its effect before this one subscribes: pick up what it did.
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return location;
}

/** Matches `/keys/:id` against `/keys/key_1` → `{ id: 'key_1' }`; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  if (path === '/') got.length = 1;
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (!g) return null;
      params[w.slice(1)] = decodeURIComponent(g);
    } else if (w !== g) return null;
  }
  return params;
}

/** Reads a one-time token from the URL fragment (`#token=…`) and clears the fragment at once. */
export function takeFragmentToken(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (window.location.hash) history.replaceState(history.state, '', window.location.pathname + window.location.search);
  return token;
}

type AnchorProps = Omit<PartialAnchorHTMLAttributes<HTMLAnchorElement>, 'href' | 'role'> & { href: string; children?: ComponentChildren };

/** An in-app link: a real <a href> (so it opens in a new tab too) that navigates without a reload. */
export function Link({ href, children, ...rest }: AnchorProps) {
  return (
    <a
      {...(rest as object)}
      href={`${base}${href}`}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

/** Replaces the current entry with `to` once rendered (navigating during a render would update state mid-render). */
export function Redirect({ to }: { to: string }) {
  useLayoutEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
