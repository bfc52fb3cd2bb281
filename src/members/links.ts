// The portal's one-time links: `{publicUrl}{path}/<page>#token=<token>`. The token travels in the
// fragment, which browsers never send to a server, so it reaches no access log or Referer header.
import type { OneTimeTokenKind } from '../store/members-types.js';

const PAGES: Record<OneTimeTokenKind, string> = { invitation: 'accept', reset: 'reset', 'sign-in': 'sign-in-link', verify: 'verify' };

export interface PortalLinks {
  /** Origin (and optional prefix) links start with, without a trailing slash. */
  publicUrl: string;
  /** The portal's path, e.g. `/portal`. */
  path: string;
}

export function linkFor({ publicUrl, path }: PortalLinks, kind: OneTimeTokenKind, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${path}/${PAGES[kind]}#token=${token}`;
}
