// The gateway's `jwt` auth method: a bearer JWT (ours or a trusted IdP's) → the consumer's identity,
// or a denial value with the RFC 6750 error to put in WWW-Authenticate.
import type { AuthMethod, AuthOutcome, AuthRequirements } from '../../auth/types.js';
import { JWT_DENIAL_CODES, type JwtDenial } from './denials.js';
import type { TokenEvaluator } from './evaluate-token.js';

type Denied = Extract<AuthOutcome, { ok: false }>;

function denied(denial: JwtDenial): Denied {
  const status = JWT_DENIAL_CODES[denial.code];
  return { ok: false, status, code: denial.code, error: status === 403 ? 'insufficient_scope' : 'invalid_token', description: denial.description };
}

export function createJwtAuthMethod({ evaluateToken }: { evaluateToken: TokenEvaluator }): AuthMethod {
  return {
    name: 'jwt',
    async authenticate(credential: string, requirements: AuthRequirements): Promise<AuthOutcome> {
      const result = await evaluateToken(credential);
      if (!result.ok) return denied(result);
      const { token, principal, scopes } = result;
      if (requirements.audience !== undefined && !token.audiences.has(requirements.audience)) {
        return denied({ ok: false, code: 'TOKEN_AUDIENCE_MISMATCH', description: 'the token is not meant for this API (aud)' });
      }
      if (requirements.scopes.length > 0) {
        const missingScopes = requirements.scopes.filter((s) => !scopes.includes(s));
        if (missingScopes.length > 0) {
          return { ...denied({ ok: false, code: 'INSUFFICIENT_SCOPE', description: `missing scope: ${missingScopes.join(' ')}` }), missingScopes };
        }
      }
      const { consumer } = principal;
      return {
        ok: true,
        identity: {
          consumerId: consumer.id,
          consumerName: consumer.name,
          metadata: consumer.metadata,
          scopes,
          credential: { type: 'jwt', clientId: token.clientId, jti: token.jti, issuer: token.issuer },
        },
      };
    },
  };
}
