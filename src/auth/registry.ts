// The authentication methods the gateway and the library middlewares can use, by name. The
// composition root registers them (api-key from src/keys, jwt from src/oauth); lookups happen per request,
// so a method registered after the gateway was built is used from then on.
import type { AuthMethod, AuthMethodName } from './types.js';

export interface AuthMethodRegistry {
  register(method: AuthMethod): void;
  get(name: AuthMethodName): AuthMethod | undefined;
  has(name: AuthMethodName): boolean;
  names(): AuthMethodName[];
}

export function createAuthMethodRegistry(methods: readonly AuthMethod[] = []): AuthMethodRegistry {
  const byName = new Map<AuthMethodName, AuthMethod>();
  const registry: AuthMethodRegistry = {
    register(method) {
      if (byName.has(method.name)) throw new Error(`an auth method named ${method.name} is already registered`);
      byName.set(method.name, method);
    },
    get: (name) => byName.get(name),
    has: (name) => byName.has(name),
    names: () => [...byName.keys()],
  };
  for (const method of methods) registry.register(method);
  return registry;
}
