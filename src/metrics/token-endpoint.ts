// Counts the token endpoint's answers (issued, or the OAuth error) and times them, without the OAuth
// module knowing about metrics. A fault that escapes the endpoint is answered server_error by its route.
import { performance } from 'node:perf_hooks';
import type { TokenEndpoint } from '../oauth/token-endpoint.js';
import type { Metrics } from './registry.js';

export function instrumentTokenEndpoint(endpoint: TokenEndpoint, metrics: Pick<Metrics, 'tokenAnswer'>): TokenEndpoint {
  return async function token(request) {
    const started = performance.now();
    try {
      const outcome = await endpoint(request);
      metrics.tokenAnswer(outcome.ok ? 'issued' : outcome.error, (performance.now() - started) / 1000);
      return outcome;
    } catch (error) {
      metrics.tokenAnswer('server_error', (performance.now() - started) / 1000);
      throw error;
    }
  };
}
