// GitHub's secret-scanning partner endpoint on the public listener (`leaks.github.path`): a signed batch
// `[{ token, type, url, source }]` in, `[{ token_raw, token_type, label }]` out. The signature is checked
// over the raw body bytes before the body is parsed; tokens are never logged.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import type { Actor } from '../audit/log.js';
import { PortcullisError } from '../errors/codes.js';
import { isWellFormedKey } from '../keys/format.js';
import { createGithubKeys, type GithubKeys, type ReportSignature } from './github-keys.js';
import { MAX_LEAK_URL_LENGTH } from './service.js';

/** GitHub sends small batches; this bounds the body and the store work one report can cause. */
export const MAX_REPORT_BYTES = 256 * 1024;
export const MAX_REPORT_TOKENS = 1000;
const MAX_TOKEN_LENGTH = 1000;

export const GITHUB_ACTOR_ID = 'github:secret-scanning';

export interface GithubMatch {
  token: string;
  type: string;
  url: string | null;
  source: string | null;
}

export interface GithubLabel {
  token_raw: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

const SIGNATURE_ERRORS: Record<Exclude<ReportSignature, 'valid'>, PortcullisError['code']> = {
  unsigned: 'LEAK_REPORT_UNSIGNED',
  'unknown-key': 'LEAK_REPORT_KEY_UNKNOWN',
  invalid: 'LEAK_REPORT_SIGNATURE_INVALID',
  'keys-unavailable': 'LEAK_KEYS_UNAVAILABLE',
};

const optionalString = (value: unknown, max: number): string | null | undefined =>
  value === undefined || value === null ? null : typeof value === 'string' && value.length <= max ? value : undefined;

/** The batch GitHub sends, or a VALIDATION_FAILED naming the first bad field. */
export function parseGithubBatch(body: Buffer): GithubMatch[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new PortcullisError('INVALID_JSON');
  }
  if (!Array.isArray(parsed)) throw new PortcullisError('VALIDATION_FAILED', '(body): must be an array of matches');
  if (parsed.length > MAX_REPORT_TOKENS) throw new PortcullisError('VALIDATION_FAILED', `(body): at most ${MAX_REPORT_TOKENS} matches per report`);
  return parsed.map((item: unknown, index) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new PortcullisError('VALIDATION_FAILED', `${index}: must be an object`);
    const match = item as Record<string, unknown>;
    const { token, type } = match;
    const url = optionalString(match.url, MAX_LEAK_URL_LENGTH);
    const source = optionalString(match.source, 100);
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new PortcullisError('VALIDATION_FAILED', `${index}.token: must be a string of 1 to ${MAX_TOKEN_LENGTH} characters`);
    }
    if (typeof type !== 'string' || type.length > 200) throw new PortcullisError('VALIDATION_FAILED', `${index}.type: must be a string`);
    if (url === undefined) throw new PortcullisError('VALIDATION_FAILED', `${index}.url: must be a string of at most ${MAX_LEAK_URL_LENGTH} characters`);
    if (source === undefined) throw new PortcullisError('VALIDATION_FAILED', `${index}.source: must be a string of at most 100 characters`);
    return { token, type, url, source };
  });
}

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
};

export async function registerGithubLeakRoute(server: FastifyInstance, { app, keys }: { app: App; keys?: GithubKeys }): Promise<void> {
  const settings = app.config.leaks.github;
  const log = app.logs.child({ route: 'leaks.github' });
  const githubKeys =
    keys ??
    createGithubKeys({
      url: settings.keysUrl,
      now: () => app.clock.now(),
      onError: (reason) => log.warn({ reason }, 'could not fetch GitHub’s secret-scanning keys'),
    });
  const keyPrefix = app.config.keys.prefix;
  const secretPrefix = app.oauth.settings.clientSecretPrefix;

  async function labelOf(match: GithubMatch, actor: Actor): Promise<{ label: GithubLabel['label']; found: boolean }> {
    if (isWellFormedKey(match.token, keyPrefix)) {
      const outcome = await app.leaks.reportKey(match.token, { source: match.source ? `github:${match.source}` : 'github', url: match.url }, actor);
      return { label: 'true_positive', found: outcome.found };
    }
    // A client secret has our format too: it is ours, though no key to act on.
    return { label: isWellFormedKey(match.token, secretPrefix) ? 'true_positive' : 'false_positive', found: false };
  }

  await server.register(async (scope) => {
    // The signature covers the exact bytes GitHub sent: the body is kept raw, whatever its content type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_REPORT_BYTES }, (_request, body, done) => done(null, body));

    scope.post(settings.path, { bodyLimit: MAX_REPORT_BYTES, schema: { hide: true } }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = await githubKeys.check(body, header(request, 'github-public-key-identifier'), header(request, 'github-public-key-signature'));
      if (signature !== 'valid') {
        log.warn({ reason: signature, requestId: String(request.id) }, 'refused a secret-scanning report');
        throw new PortcullisError(SIGNATURE_ERRORS[signature]);
      }
      const matches = parseGithubBatch(body);
      const actor: Actor = { id: GITHUB_ACTOR_ID, sourceIp: request.ip };
      const answers = new Map<string, { label: GithubLabel['label']; found: boolean }>();
      for (const match of matches) if (!answers.has(match.token)) answers.set(match.token, await labelOf(match, actor));
      const labels: GithubLabel[] = matches.map((m) => ({ token_raw: m.token, token_type: m.type, label: answers.get(m.token)!.label }));
      log.info(
        {
          requestId: String(request.id),
          matches: matches.length,
          ours: labels.filter((l) => l.label === 'true_positive').length,
          found: [...answers.values()].filter((a) => a.found).length,
        },
        'secret-scanning report from GitHub',
      );
      return reply.code(200).header('cache-control', 'no-store').type('application/json').send(labels);
    });
  });
}
