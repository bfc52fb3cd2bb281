// The portal's entry: fetch branding and the session, then route. Signed-out visitors of a signed-in page go
// to the sign-in page (and back afterwards); a 401 SESSION_REQUIRED from any call does the same.

import { type JSX, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, adoptSession, get, type Portal, type Session, whenSessionLost } from './api.js';
import { AppContext, type AppState } from './context.js';
import { AccountPage } from './pages/account.js';
import { ActivityPage } from './pages/activity.js';
import { ApisPage } from './pages/admin/apis.js';
import { CONSUMER_TABS, ConsumerPage } from './pages/admin/consumer.js';
import { ConsumersPage } from './pages/admin/consumers.js';
import { OperatorsPage } from './pages/admin/operators.js';
import { AcceptInvitation, ForgotPassword, ResetPassword, SignIn, SignInLink, SignUp, VerifyEmail } from './pages/auth.js';
import { ClientsPage } from './pages/clients.js';
import { GettingStarted } from './pages/getting-started.js';
import { KeysPage } from './pages/keys.js';
import { MembersPage } from './pages/members.js';
import { ReferenceList, ReferencePage } from './pages/reference.js';
import { UsagePage } from './pages/usage.js';
import { WebhooksPage } from './pages/webhooks.js';
import { currentPath, Link, match, navigate, Redirect, useLocation } from './router.js';
import { applyBranding } from './theme.js';
import { EmptyState } from './ui/parts.js';
import { Shell } from './ui/shell.js';
import { Toaster } from './ui/toast.js';

const PUBLIC: Record<string, () => JSX.Element> = {
  '/sign-in': SignIn,
  '/accept': AcceptInvitation,
  '/forgot': ForgotPassword,
  '/reset': ResetPassword,
  '/verify': VerifyEmail,
  '/sign-in-link': SignInLink,
  '/sign-up': SignUp,
};

function NotFound() {
  return (
    <EmptyState
      title="Page not found"
      action={
        <Link href="/" class="button button-primary">
          Go to the start page
        </Link>
      }
    >
      <span id="page-title">The address may be mistyped, or the page has moved.</span>
    </EmptyState>
  );
}

function signedInPage(path: string, session: Session) {
  const member = session.membership !== null;
  const owner = session.membership?.role === 'owner';
  const operator = session.user.role === 'operator';
  if (path === '/') return <Redirect to={member ? '/getting-started' : '/admin/consumers'} />;
  const simple: Record<string, () => JSX.Element | null> = {
    '/account': () => <AccountPage />,
    '/reference': () => <ReferenceList />,
    ...(member && {
      '/getting-started': () => <GettingStarted />,
      '/keys': () => <KeysPage />,
      '/clients': () => <ClientsPage />,
      '/usage': () => <UsagePage />,
      '/activity': () => <ActivityPage />,
    }),
    ...(owner && { '/members': () => <MembersPage />, '/webhooks': () => <WebhooksPage /> }),
    ...(operator && {
      '/admin/consumers': () => <ConsumersPage />,
      '/admin/usage': () => <UsagePage scope="admin/" title="Gateway usage" perCredential={false} />,
      '/admin/activity': () => <ActivityPage path="admin/audit-events" title="Audit trail" />,
      '/admin/apis': () => <ApisPage />,
      '/admin/operators': () => <OperatorsPage />,
    }),
  };
  const page = simple[path.replace(/\/+$/, '')];
  if (page) return page();
  const reference = match('/reference/:name', path);
  if (reference) return <ReferencePage name={reference.name!} />;
  if (operator) {
    const consumer = match('/admin/consumers/:id', path) ?? match('/admin/consumers/:id/:tab', path);
    if (consumer && CONSUMER_TABS.some(([t]) => t === (consumer.tab ?? ''))) {
      return <ConsumerPage id={consumer.id!} tab={consumer.tab ?? ''} />;
    }
  }
  return <NotFound />;
}

function App({ portal, initial }: { portal: Portal; initial: Session | null }) {
  const [session, setSession] = useState<Session | null>(initial);
  const { path } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    whenSessionLost(() => {
      setSession(null);
      navigate(`/sign-in?next=${encodeURIComponent(currentPath())}`, { replace: true });
    });
  }, []);
  // After an in-app navigation, move focus to the new page's heading so screen readers announce it.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = document.getElementById('page-title') ?? document.getElementById('main');
    heading?.focus();
  }, [path]);
  const state: AppState = { portal, session, setSession };
  const PublicPage = PUBLIC[path];
  let content: JSX.Element | null;
  if (PublicPage) {
    content = session && path === '/sign-in' ? <Redirect to="/" /> : <PublicPage />;
  } else if (!session) {
    content = <Redirect to={`/sign-in${path === '/' ? '' : `?next=${encodeURIComponent(path)}`}`} />;
  } else content = <Shell>{signedInPage(path, session)}</Shell>;
  return (
    <AppContext.Provider value={state}>
      {content}
      <Toaster />
    </AppContext.Provider>
  );
}

async function boot() {
  const root = document.getElementById('app')!;
  let portal: Portal;
  try {
    portal = await get<Portal>('portal');
  } catch (e) {
    root.textContent = e instanceof ApiError ? `The portal is unavailable: ${e.message}` : 'The portal is unavailable.';
    return;
  }
  applyBranding(portal.primaryColor, portal.title);
  let session: Session | null = null;
  try {
    session = adoptSession(await get<Session>('me'));
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) console.warn('portal: could not read the session', e instanceof ApiError ? e.code : e);
  }
  root.textContent = '';
  render(<App portal={portal} initial={session} />, root);
}

void boot();
