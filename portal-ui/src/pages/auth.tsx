// The signed-out pages: sign in, accept an invitation, forgotten password, reset, email verification,
// operator one-time sign-in link, sign-up. One-time tokens arrive in the URL fragment, are cleared from
// the address bar at once and are only ever POSTed.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, adoptSession, post, type Session } from '../api.js';
import { useApp } from '../context.js';
import { Link, navigate, takeFragmentToken, useLocation } from '../router.js';
import { Brand } from '../ui/brand.js';
import { ErrorText, Field, Loading, text, useSubmit } from '../ui/parts.js';

function AuthCard({ title, lead, children, footer }: { title: string; lead?: ComponentChildren; children: ComponentChildren; footer?: ComponentChildren }) {
  return (
    <div class="auth">
      <main id="main" class="auth-card" tabIndex={-1}>
        <Brand />
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {lead && <p class="lead">{lead}</p>}
        {children}
      </main>
      {footer && <p class="auth-footer">{footer}</p>}
    </div>
  );
}

function useSignedIn() {
  const { setSession } = useApp();
  const { query } = useLocation();
  return (session: Session) => {
    setSession(adoptSession(session));
    const next = query.get('next');
    navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
  };
}

const PASSWORD_HINT = 'At least 12 characters. A passphrase of a few unrelated words works well.';

export function SignIn() {
  const signedIn = useSignedIn();
  const { portal } = useApp();
  const { query } = useLocation();
  const form = useSubmit(async (data) => {
    signedIn(await post<Session>('session', { email: text(data, 'email'), password: String(data.get('password') ?? '') }));
  });
  return (
    <AuthCard
      title="Sign in"
      lead={`Welcome back to ${portal.title}.`}
      footer={
        portal.signup !== 'invite' && (
          <>
            New here? <Link href="/sign-up">Create an account</Link>
          </>
        )
      }
    >
      {query.get('verified') === '1' && (
        <div class="callout callout-success" role="status">
          <p>Your email address is verified. Sign in to continue.</p>
        </div>
      )}
      <form onSubmit={form.onSubmit}>
        <Field label="Email" name="email" type="email" autoComplete="username" required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
        <ErrorText message={form.error} />
        <button type="submit" class="button button-primary button-block" disabled={form.busy}>
          {form.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="auth-alt">
        <Link href="/forgot">Forgot your password?</Link>
      </p>
    </AuthCard>
  );
}

function NewPasswordFields({ error }: { error?: string | undefined }) {
  return (
    <>
      <Field label="New password" name="password" type="password" autoComplete="new-password" minLength={12} required hint={PASSWORD_HINT} error={error} />
      <Field label="Repeat the password" name="repeat" type="password" autoComplete="new-password" minLength={12} required />
    </>
  );
}

function checkRepeat(data: FormData): string {
  const password = String(data.get('password') ?? '');
  if (password !== String(data.get('repeat') ?? '')) throw new Error('The two passwords differ.');
  return password;
}

function MissingToken({ what }: { what: string }) {
  return (
    <div class="callout callout-warning">
      <p>This page needs the link from your {what} email. Open the link from the email again; each link works once.</p>
    </div>
  );
}

export function AcceptInvitation() {
  const [token] = useState(takeFragmentToken);
  const signedIn = useSignedIn();
  const form = useSubmit(async (data) => {
    signedIn(await post<Session>('invitations/accept', { token, password: checkRepeat(data) }));
  });
  return (
    <AuthCard title="Accept your invitation" lead="Choose a password to finish setting up your account.">
      {token ? (
        <form onSubmit={form.onSubmit}>
          <NewPasswordFields error={form.fieldError('password')} />
          <ErrorText message={form.error} />
          <button type="submit" class="button button-primary button-block" disabled={form.busy}>
            {form.busy ? 'Setting up…' : 'Create account and sign in'}
          </button>
        </form>
      ) : (
        <MissingToken what="invitation" />
      )}
    </AuthCard>
  );
}

export function ForgotPassword() {
  const [sent, setSent] = useState(false);
  const form = useSubmit(async (data) => {
    await post('password-reset', { email: text(data, 'email') });
    setSent(true);
  });
  return (
    <AuthCard title="Reset your password" footer={<Link href="/sign-in">Back to sign in</Link>}>
      {sent ? (
        <div class="callout callout-success" role="status">
          <p>If an account uses that address, an email with a reset link is on its way. The link works once, for one hour.</p>
        </div>
      ) : (
        <form onSubmit={form.onSubmit}>
          <p class="lead">Enter your email address and we will send you a link to choose a new password.</p>
          <Field label="Email" name="email" type="email" autoComplete="email" required />
          <ErrorText message={form.error} />
          <button type="submit" class="button button-primary button-block" disabled={form.busy}>
            Send reset link
          </button>
        </form>
      )}
    </AuthCard>
  );
}

export function ResetPassword() {
  const [token] = useState(takeFragmentToken);
  const [done, setDone] = useState(false);
  const form = useSubmit(async (data) => {
    await post('password-reset/confirm', { token, password: checkRepeat(data) });
    setDone(true);
  });
  return (
    <AuthCard title="Choose a new password">
      {done ? (
        <div class="callout callout-success" role="status">
          <p>Your password is changed and every other session is signed out.</p>
          <Link class="button button-primary" href="/sign-in">
            Sign in
          </Link>
        </div>
      ) : token ? (
        <form onSubmit={form.onSubmit}>
          <NewPasswordFields error={form.fieldError('password')} />
          <ErrorText message={form.error} />
          <button type="submit" class="button button-primary button-block" disabled={form.busy}>
            Save password
          </button>
        </form>
      ) : (
        <MissingToken what="password reset" />
      )}
    </AuthCard>
  );
}

/** Pages that POST their fragment token as soon as they open (email verification, operator sign-in link). */
function TokenLanding({ title, what, path, onDone }: { title: string; what: string; path: string; onDone: (answer: unknown) => void }) {
  const [token] = useState(takeFragmentToken);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!token) return;
    post(path, { token }).then(onDone, (e: unknown) => setError(e instanceof ApiError ? e.message : 'Something went wrong.'));
    // Runs once, with the token read when the page opened.
  }, []);
  return (
    <AuthCard title={title} footer={<Link href="/sign-in">Go to sign in</Link>}>
      {!token ? <MissingToken what={what} /> : error ? <ErrorText message={error} /> : <Loading label="Checking your link" />}
    </AuthCard>
  );
}

export function VerifyEmail() {
  const { setSession } = useApp();
  return (
    <TokenLanding
      title="Verifying your email"
      what="verification"
      path="signup/verify"
      onDone={(answer) => {
        const session = answer as Session | undefined;
        if (session?.csrfToken) setSession(adoptSession(session));
        navigate(session?.csrfToken ? '/' : '/sign-in?verified=1', { replace: true });
      }}
    />
  );
}

export function SignInLink() {
  const signedIn = useSignedIn();
  return <TokenLanding title="Signing you in" what="sign-in" path="sign-in-link" onDone={(answer) => signedIn(answer as Session)} />;
}

export function SignUp() {
  const { portal } = useApp();
  const [sent, setSent] = useState('');
  const form = useSubmit(async (data) => {
    const email = text(data, 'email');
    await post('signup', { email, password: checkRepeat(data), organisation: text(data, 'organisation') });
    setSent(email);
  });
  if (portal.signup === 'invite') {
    return (
      <AuthCard title="Sign-up is by invitation" footer={<Link href="/sign-in">Go to sign in</Link>}>
        <p class="lead">Ask the team that runs this API, or an owner in your organisation, to invite you.</p>
      </AuthCard>
    );
  }
  return (
    <AuthCard
      title="Create your account"
      lead="Your organisation gets its own keys, clients and usage. You will be its owner."
      footer={
        <>
          Already have an account? <Link href="/sign-in">Sign in</Link>
        </>
      }
    >
      {sent ? (
        <div class="callout callout-success" role="status">
          <p>We sent a link to {sent}. Open it to verify your address and finish signing up.</p>
        </div>
      ) : (
        <form onSubmit={form.onSubmit}>
          <Field label="Organisation" name="organisation" autoComplete="organization" required maxLength={200} error={form.fieldError('organisation')} />
          <Field
            label="Work email"
            name="email"
            type="email"
            autoComplete="email"
            required
            error={form.fieldError('email')}
            hint={portal.signup === 'domains' ? 'Sign-up is open to addresses of approved company domains.' : undefined}
          />
          <NewPasswordFields error={form.fieldError('password')} />
          <ErrorText message={form.error} />
          <button type="submit" class="button button-primary button-block" disabled={form.busy}>
            Create account
          </button>
        </form>
      )}
    </AuthCard>
  );
}
