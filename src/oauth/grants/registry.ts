// Grant types as a registry of { parameters, handler } (after oidc-provider): the token endpoint looks
// the grant up by name and knows nothing of any one grant.
import type { OAuthError } from '../errors.js';
import type { FormParams } from '../form.js';
import type { ClientPrincipal } from '../principals.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export interface GrantRequest {
  principal: ClientPrincipal;
  params: FormParams;
  now: number;
}

export interface GrantHandler {
  /** The parameters this grant reads, besides grant_type and client authentication. */
  readonly parameters: readonly string[];
  handle(request: GrantRequest): Promise<{ ok: true; response: TokenResponse } | OAuthError>;
}

export type GrantRegistry = ReadonlyMap<string, GrantHandler>;

export function createGrantRegistry(grants: Record<string, GrantHandler>): GrantRegistry {
  return new Map(Object.entries(grants));
}
