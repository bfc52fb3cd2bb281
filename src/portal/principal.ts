// Who a portal request acts for: resolved from the session cookie by the portal's session hook.
export interface PortalPrincipal {
  userId: string;
  email: string;
  /** Operators act on every consumer. */
  operator: boolean;
  /** The member's consumer and role; null for an operator without a membership. */
  membership: { consumerId: string; role: 'owner' | 'developer' } | null;
}
