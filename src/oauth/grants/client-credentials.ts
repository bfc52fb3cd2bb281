// grant_type=client_credentials (RFC 6749 §4.4) with down-scoping by `scope`, and the audience chosen
// by `audience` (as Auth0 and the article's request send it) or RFC 8707 `resource`.
import { oauthError } from '../errors.js';
import { param } from '../form.js';
import type { AccessTokenIssuer } from '../issue-access-token.js';
import type { GrantHandler } from './registry.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function createClientCredentialsGrant({ issueAccessToken, issuer }: { issueAccessToken: AccessTokenIssuer; issuer: string }): GrantHandler {
  return {
    parameters: ['scope', 'audience', 'resource'],
    async handle({ principal, params, now }) {
      const { client, consumer } = principal;
      if (!client.enabled) return oauthError('unauthorized_client', 'the client is disabled');
      if (!consumer.enabled) return oauthError('unauthorized_client', "the client's consumer is disabled");

      let scopes = principal.scopes;
      const requested = param(params, 'scope');
      if (requested !== undefined) {
        const asked = [...new Set(requested.split(' ').filter(Boolean))];
        if (asked.length === 0 || !asked.every((s) => SCOPE_TOKEN.test(s))) return oauthError('invalid_scope', 'scope is malformed');
        const refused = asked.filter((s) => !principal.scopeSet.has(s));
        if (refused.length > 0) return oauthError('invalid_scope', `not allowed for this client: ${refused.join(' ').slice(0, 200)}`);
        scopes = asked;
      }

      const audience = param(params, 'audience');
      const resources = (params.get('resource') ?? []).filter((r) => r !== '');
      if (audience !== undefined && resources.length > 0) return oauthError('invalid_request', 'send audience or resource, not both');
      for (const r of resources) {
        if (!URL.canParse(r) || r.includes('#')) return oauthError('invalid_target', 'resource must be an absolute URI without a fragment');
      }
      const asked = audience !== undefined ? [audience] : resources;
      const refused = asked.filter((a) => !client.audiences.includes(a));
      if (refused.length > 0) return oauthError('invalid_target', "the client may not request this audience: an operator adds it to the client's audiences");
      const audiences = asked.length > 0 ? [...new Set(asked)] : client.audiences.length > 0 ? client.audiences : [issuer];

      // A token issued after a revoke-all must not fall inside it, even within the same millisecond.
      const issuedAtMs = Math.max(now, client.tokensRevokedBefore ?? 0);
      const issued = await issueAccessToken({ clientId: client.id, audiences, scopes, ttlSeconds: client.tokenTtlSeconds, issuedAtMs });
      return {
        ok: true,
        response: { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scopes.join(' ') },
      };
    },
  };
}
