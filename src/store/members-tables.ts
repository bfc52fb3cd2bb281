export interface PortalUsersTable {
  id: string;
  email: string;
  /** The email in lower case: unique, so one address (in any case) is one user. */
  email_key: string;
  password_hash: string | null;
  operator: number;
  email_verified: number;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export interface PortalMembershipsTable {
  id: string;
  user_id: string;
  consumer_id: string;
  role: string;
  created_at: number;
}

export interface PortalSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface PortalTokensTable {
  hash: string;
  kind: string;
  email: string;
  user_id: string | null;
  consumer_id: string | null;
  role: string | null;
  operator: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface MailOutboxTable {
  id: string;
  recipient: string;
  subject: string;
  text: string;
  created_at: number;
}

export interface MembersDatabase {
  portal_users: PortalUsersTable;
  portal_memberships: PortalMembershipsTable;
  portal_sessions: PortalSessionsTable;
  portal_tokens: PortalTokensTable;
  mail_outbox: MailOutboxTable;
}
