// Issue #19 §2, differential: real upstream routers (Express 5, Fastify, and routers over node's WHATWG
// URL parsing, with and without decoding segments) behind the gateway, over generated request
// targets (encodings, case, fragments, dot and empty segments, `;`, `%2f`, `%00`, escaped unicode,
// `+`, backslashes, trailing characters). Whenever the gateway forwards a request, the route the
// upstream ran is the operation the gateway authorised (or none: the upstream ran no handler).
//
// Which operation the gateway authorised is read from the gateway's own answers, not from a log:
// every operation needs its own scope `op:<name>`, so a key without scopes gets 403 naming exactly
// the scope of the operation the gateway matched; the request is then sent again with a key that
// has that one scope, and the upstream names the route it ran in `x-route`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Harness, startHarness } from '../gateway/helpers.js';
import { documentOf, exchange, type RouteSpec, type RunningRouter, startExpress, startFastify, startWhatwg } from './gateway-upstreams.js';

const ROUTES: RouteSpec[] = [
  { name: 'list', path: '/x' },
  { name: 'admin', path: '/x/admin' },
  { name: 'id', path: '/x/{id}' },
  { name: 'admin-logs', path: '/x/admin/logs' },
  { name: 'id-logs', path: '/x/{id}/logs' },
  { name: 'd-list', path: '/d/' },
  { name: 'd-item', path: '/d/{id}/' },
  { name: 'file-json', path: '/f/{name}.json' },
  { name: 'file', path: '/f/{id}' },
];

/** Pieces of a segment the gateway may well forward: words of the document in other cases, characters routers treat apart. */
const ODD = [
  'X',
  'ADMIN',
  'Admin',
  'aDmIn',
  'LOGS',
  'Logs',
  'D',
  'F',
  '.JSON',
  '.Json',
  'json',
  '42',
  'abc',
  '+',
  '~',
  '*',
  '@',
  ':',
  '!',
  '$',
  '&',
  "'",
  '(',
  ')',
  ',',
  '=',
  '{',
  '}',
  '|',
  '^',
  '`',
  '"',
  '[',
  ']',
  '%20',
  '%23',
  '%3f',
  '%3F',
  '%25',
  '%C3%A9',
  '%E2%84%AA',
  '%C4%B1',
  '%C5%BF',
  '%F0%9F%98%80',
];
/** Pieces the gateway should refuse: fragments, dots, escapes of separators and unreserved characters, `;`, backslashes, bad escapes. */
const HOSTILE = [
  '',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%61',
  '%41',
  '%78',
  '%64',
  '%6c',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '%00',
  '%2561',
  '%3b',
  '%3B',
  '#',
  '#frag',
  '?',
  '?a=b',
  ';',
  ';a=1',
  '\\',
  '%7e',
  '%',
  '%zz',
  '%C3',
  '%C3%28',
];
const SUFFIXES = ['', '', '', '', '', '/', '/', '//', '#', '#/../admin', '?', '?a=b', '?a#b', '.', '/.', '/..', ';x', '%20', '%00', '%2f', '\\', '+', '~'];

const word = fc.constantFrom('x', 'admin', 'logs', 'd', '42', 'f', 'a.json');
const piece = (pieces: string[]) => fc.array(fc.oneof(word, fc.constantFrom(...pieces)), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));
const segment = fc.oneof({ arbitrary: word, weight: 6 }, { arbitrary: piece(ODD), weight: 4 }, { arbitrary: piece(HOSTILE), weight: 1 });
const target = fc
  .tuple(fc.constantFrom('x', 'x', 'x', 'd', 'f', 'X', 'D', 'F', '%78', ''), fc.array(segment, { maxLength: 3 }), fc.constantFrom(...SUFFIXES))
  .map(([first, rest, suffix]) => `/${[first, ...rest].join('/')}${suffix}`);

/** Spellings tried on every run before the generated ones: the attacks of the issue and their kin. */
const EXAMPLES = [
  '/x/admin',
  '/x/admin#',
  '/x/admin#frag',
  '/x/ADMIN',
  '/x/Admin/logs',
  '/x/%61dmin',
  '/x/admin;a=b',
  '/x//admin',
  '/x/',
  '/x/admin/',
  '/x/1#/../admin',
  '/x/%2e%2e/admin',
  '/x/1/..%2fadmin',
  '/X/admin',
  '/x/adm%C4%B1n',
  '/x/%E2%84%AAey',
  '/d',
  '/d/',
  '/d/7',
  '/d/7/',
  '/d//',
  '/f/a.json',
  '/f/a.JSON',
  '/f/a%2Ejson',
  '/f/.json',
];

interface Answer {
  status: number;
  route: string | undefined;
  missingScopes: string[] | undefined;
}

async function get(baseUrl: string, path: string, key: string): Promise<Answer> {
  const head = Buffer.concat([
    Buffer.from('GET '),
    Buffer.from(path, 'latin1'),
    Buffer.from(` HTTP/1.1\r\nHost: ${new URL(baseUrl).host}\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n`),
  ]);
  const { status, text } = await exchange(baseUrl, head);
  const route = /\r\nx-route: ([\w-]+)/i.exec(text)?.[1];
  let missingScopes: string[] | undefined;
  if (status === 403) missingScopes = (JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { missingScopes?: string[] }).missingScopes;
  return { status, route, missingScopes };
}

describe('security: differential routing behind the gateway', () => {
  let routers: RunningRouter[];
  let h: Harness;
  let probe: string;
  const keys = new Map<string, string>();

  before(async () => {
    routers = [await startExpress(ROUTES), await startFastify(ROUTES), await startWhatwg(ROUTES, false), await startWhatwg(ROUTES, true)];
    const apis = routers.flatMap((router) => [
      { name: router.name, basePath: `/${router.name}`, upstream: router.url, openapi: 'x.yaml', stripBasePath: true },
      // passThrough: what the document does not list goes through with the API's own scope.
      {
        name: `${router.name}-pt`,
        basePath: `/${router.name}-pt`,
        upstream: router.url,
        openapi: 'x.yaml',
        stripBasePath: true,
        passThrough: true,
        scopes: ['op:default'],
      },
    ]);
    h = await startHarness({ apis, gateway: { accessLog: false } }, { files: { 'x.yaml': documentOf(ROUTES) } });
    ({ key: probe } = await h.issueKey({ scopes: [] }));
    for (const name of [...ROUTES.map((r) => r.name), 'default']) {
      keys.set(name, (await h.issueKey({ scopes: name === 'default' ? ['op:default'] : [`op:${name}`, 'op:default'] })).key);
    }
  });
  after(async () => {
    await h.close();
    for (const router of routers) await router.close();
  });

  /** The operation the gateway authorises for `path` under `base`, or null when it refuses the request. */
  async function authorised(base: string, path: string): Promise<string | null> {
    const answer = await get(h.gateway.url, `/${base}${path}`, probe);
    assert.equal(answer.route, undefined, `${base}${path}: forwarded for a key without scopes (upstream ran ${answer.route})`);
    if (answer.status !== 403) return null;
    const scopes = answer.missingScopes ?? [];
    const own = scopes.filter((s) => s !== 'op:default');
    assert.ok(own.length <= 1, `${path}: several operation scopes asked for: ${scopes.join(' ')}`);
    return own.length === 1 ? own[0]!.slice('op:'.length) : 'default';
  }

  async function check(path: string): Promise<void> {
    for (const passThrough of [false, true]) {
      const suffix = passThrough ? '-pt' : '';
      // The gateway's decision does not depend on the upstream: ask once, through the first router's API.
      const operation = await authorised(`${routers[0]!.name}${suffix}`, path);
      if (operation === null) continue;
      for (const router of routers) {
        const answer = await get(h.gateway.url, `/${router.name}${suffix}${path}`, keys.get(operation)!);
        assert.notEqual(answer.route, undefined, `${router.name}${suffix}${path}: authorised as ${operation} but not forwarded (${answer.status})`);
        const expected = operation === 'default' ? 'none' : operation;
        assert.ok(
          answer.route === expected || answer.route === 'none',
          `${router.name}${suffix}${path}: the gateway authorised ${operation}, the upstream ran ${answer.route}`,
        );
      }
    }
  }

  it('the upstream runs the operation the gateway authorised, over generated request targets', async () => {
    await fc.assert(fc.asyncProperty(target, check), {
      numRuns: 300,
      seed: 19_2,
      examples: EXAMPLES.map((path) => [path] as [string]),
      endOnFailure: true,
    });
  });
});
