// The signed-in frame: skip link, sidebar navigation (a menu button on a phone), the signed-in user and the
// consumer in the footer of the sidebar, the page in <main>.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { del, forgetSession } from '../api.js';
import { useApp, useSession } from '../context.js';
import { Link, navigate, useLocation } from '../router.js';
import { Brand } from './brand.js';
import { toast } from './toast.js';

interface NavItem {
  href: string;
  label: string;
  icon: string;
}

const ICONS: Record<string, string> = {
  start: 'M5 12h14M13 6l6 6-6 6',
  key: 'M15 7a4 4 0 1 1-3.9 4.9L4 19v-3h3v-3h3l1.1-1.1A4 4 0 0 1 15 7Zm1.5 2.5h.01',
  client: 'M4 7h16v10H4zM8 11h4M8 14h8',
  chart: 'M4 20V10M10 20V4M16 20v-7M22 20H2',
  book: 'M4 5a2 2 0 0 1 2-2h14v16H6a2 2 0 0 0-2 2V5Zm0 14a2 2 0 0 1 2-2h14',
  activity: 'M3 12h4l3-8 4 16 3-8h4',
  people: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 10a7 7 0 0 1 14 0M17 11a3 3 0 1 0 0-6M22 21a6 6 0 0 0-4-5.6',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-8 9a8 8 0 0 1 16 0',
  building: 'M4 21V5l8-3 8 3v16M9 21v-4h6v4M8 8h.01M12 8h.01M16 8h.01M8 12h.01M12 12h.01M16 12h.01',
  server: 'M4 4h16v6H4zM4 14h16v6H4zM8 7h.01M8 17h.01',
  shield: 'M12 3 4 6v6c0 5 3.5 8 8 9 4.5-1 8-4 8-9V6l-8-3Z',
};

function Icon({ name }: { name: string }) {
  return (
    <svg viewBox="0 0 24 24" class="nav-icon" aria-hidden="true">
      <path d={ICONS[name] ?? ''} />
    </svg>
  );
}

function NavGroup({ title, items, path }: { title: string; items: NavItem[]; path: string }) {
  return (
    <div class="nav-group">
      <h2 class="nav-title">{title}</h2>
      <ul>
        {items.map((item) => {
          const current = path === item.href || (item.href !== '/' && path.startsWith(`${item.href}/`));
          return (
            <li key={item.href}>
              <Link href={item.href} class="nav-link" aria-current={current ? 'page' : undefined}>
                <Icon name={item.icon} />
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function Shell({ children }: { children: ComponentChildren }) {
  const { setSession } = useApp();
  const session = useSession();
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);
  const membership = session.membership;
  const operator = session.user.role === 'operator';
  const signOut = async () => {
    try {
      await del('session');
    } catch {
      // The session may already be gone; signing out locally is what the user asked for.
    }
    forgetSession();
    setSession(null);
    navigate('/sign-in', { replace: true });
    toast('You are signed out.');
  };
  return (
    <div class="app">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Brand />
        <button type="button" class="icon-button menu-button" aria-expanded={menuOpen} aria-controls="sidebar" onClick={() => setMenuOpen(!menuOpen)}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d={menuOpen ? 'M6 6l12 12M18 6 6 18' : 'M4 7h16M4 12h16M4 17h16'} />
          </svg>
          <span class="visually-hidden">Menu</span>
        </button>
      </header>
      <nav id="sidebar" class={menuOpen ? 'sidebar open' : 'sidebar'} aria-label="Main">
        <div class="sidebar-brand">
          <Brand />
        </div>
        {membership && (
          <>
            <NavGroup
              title="Build"
              path={path}
              items={[
                { href: '/getting-started', label: 'Getting started', icon: 'start' },
                { href: '/keys', label: 'API keys', icon: 'key' },
                { href: '/clients', label: 'OAuth clients', icon: 'client' },
                { href: '/reference', label: 'API reference', icon: 'book' },
              ]}
            />
            <NavGroup
              title="Monitor"
              path={path}
              items={[
                { href: '/usage', label: 'Usage', icon: 'chart' },
                { href: '/activity', label: 'Activity', icon: 'activity' },
              ]}
            />
          </>
        )}
        {operator && (
          <NavGroup
            title="Operate"
            path={path}
            items={[
              { href: '/admin/consumers', label: 'Consumers', icon: 'building' },
              { href: '/admin/usage', label: 'Gateway usage', icon: 'chart' },
              { href: '/admin/activity', label: 'Audit trail', icon: 'activity' },
              { href: '/admin/apis', label: 'APIs and signing keys', icon: 'server' },
              { href: '/admin/operators', label: 'Operators', icon: 'shield' },
              ...(membership ? [] : [{ href: '/reference', label: 'API reference', icon: 'book' }]),
            ]}
          />
        )}
        <NavGroup
          title={membership ? membership.consumerName : 'You'}
          path={path}
          items={[
            ...(membership?.role === 'owner'
              ? [
                  { href: '/members', label: 'Members', icon: 'people' },
                  { href: '/webhooks', label: 'Webhooks', icon: 'server' },
                ]
              : []),
            { href: '/account', label: 'Account', icon: 'user' },
          ]}
        />
        <div class="sidebar-footer">
          <div class="who">
            <span class="avatar" aria-hidden="true">
              {session.user.email.slice(0, 1).toUpperCase()}
            </span>
            <span class="who-text">
              <span class="who-email">{session.user.email}</span>
              <span class="who-role">{operator ? 'Operator' : membership?.role === 'owner' ? 'Owner' : 'Developer'}</span>
            </span>
          </div>
          <button type="button" class="button button-small button-ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </nav>
      <main id="main" class="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
