// What every page can read: the portal's branding and URLs, and the signed-in session (null when signed out).

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Portal, Session } from './api.js';

export interface AppState {
  portal: Portal;
  session: Session | null;
  setSession: (session: Session | null) => void;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside AppContext');
  return state;
}

/** The session of a page that is only routed to when signed in. */
export function useSession(): Session {
  const { session } = useApp();
  if (!session) throw new Error('useSession on a signed-out page');
  return session;
}
