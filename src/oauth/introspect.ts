// RFC 7662 introspection: `active` says whether the token would be accepted now (signature, expiry,
// revocation, client and consumer enabled). A client sees only its own tokens; an operator (admin
// key) sees any. An inactive answer carries nothing else.
import { PortcullisError } from '../errors/codes.js';
import type { TokenEvaluator } from './jwt/evaluate-token.js';

export type IntrospectionCaller = { kind: 'client'; clientId: string } | { kind: 'admin' };

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      aud: string | string[];
      iss: string;
      exp: number;
      iat: number;
      jti?: string;
      token_type: 'Bearer';
    };

export function createIntrospector({ evaluateToken }: { evaluateToken: TokenEvaluator }) {
  return async function introspect(token: string, caller: IntrospectionCaller): Promise<IntrospectionResponse> {
    const result = await evaluateToken(token);
    if (!result.ok) {
      if (result.code === 'STORE_UNAVAILABLE') throw new PortcullisError('STORE_UNAVAILABLE');
      return { active: false };
    }
    const { token: t, scopes } = result;
    if (caller.kind === 'client' && (t.kind !== 'local' || t.clientId !== caller.clientId)) return { active: false };
    const aud = [...t.audiences];
    return {
      active: true,
      scope: scopes.join(' '),
      client_id: t.clientId,
      sub: t.kind === 'local' ? t.clientId : t.subject,
      aud: aud.length === 1 ? aud[0]! : aud,
      iss: t.issuer,
      exp: Math.floor(t.expiresAt / 1000),
      iat: Math.floor(t.issuedAt / 1000),
      ...(t.jti ? { jti: t.jti } : {}),
      token_type: 'Bearer',
    };
  };
}

export type Introspector = ReturnType<typeof createIntrospector>;
