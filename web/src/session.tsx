import { createContext, useContext } from 'react';
import type { Me } from './api/platform.ts';

export interface Session {
  me: Me;
  /** Unread timeline items, when known (shown as a badge in the header). */
  unreadCount: number | undefined;
  setUnreadCount: (count: number) => void;
  /**
   * Call with any error from an API call: on 401 it sends the user to the login page and
   * returns true (the caller should then render nothing special).
   */
  handleUnauthenticated: (error: unknown) => boolean;
}

export const SessionContext = createContext<Session | undefined>(undefined);

/** The logged-in user; only available inside `AuthenticatedLayout`. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() used outside AuthenticatedLayout');
  return session;
}
