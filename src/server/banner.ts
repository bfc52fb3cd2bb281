// What `portcullis start` tells a person: on the run that created them, the admin key and the demo key
// with curl lines that work when pasted; on later runs, the command that makes another. One block,
// written in one piece (on stderr by the CLI), so no log line can fall inside it.
import type { DemoCredentials, DemoPortalLinks } from '../demo/setup.js';

/** How the banner names the CLI: runs as printed in the folder of a clone (`npm start`) or of a project that depends on Portcullis. */
export const CLI_COMMAND = 'npx portcullis';

/** A word as a POSIX shell reads it back. */
function shellWord(word: string): string {
  return /^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface BannerInput {
  gatewayUrl: string;
  adminUrl: string;
  /** The config file read, or null (defaults, the demo): commands in the banner name it. */
  configPath: string | null;
  /** Set on the run that created the first admin key. */
  firstAdminKey: string | null;
  demo: DemoCredentials | null;
  /** The demo's portal links (one-time: operator sign-in, member invitation). */
  portal?: DemoPortalLinks | null;
}

export function startBanner(input: BannerInput): string {
  const config = input.configPath ? ` --config ${shellWord(input.configPath)}` : '';
  const parts = [input.firstAdminKey ? firstAdminKeyBanner(input.adminUrl, input.firstAdminKey) : laterStartBanner(input, config)];
  // The demo's block ends the banner (its last line names the metrics); the portal's links come before it.
  if (input.portal) parts.push(portalBanner(input.portal));
  if (input.demo) parts.push(demoBanner(input, input.demo, config));
  return parts.join('');
}

function firstAdminKeyBanner(adminUrl: string, adminKey: string): string {
  return [
    '',
    'Portcullis is running. This is the first start on this store, so an admin key was created.',
    'It is shown once and stored only as a hash — keep it somewhere safe:',
    '',
    `  PORTCULLIS_ADMIN_KEY=${adminKey}`,
    '',
    'Create a consumer:',
    '',
    `  curl -s -X POST ${adminUrl}/admin/v1/consumers \\`,
    `    -H "Authorization: Bearer ${adminKey}" \\`,
    `    -H "Content-Type: application/json" \\`,
    `    -d '{"name":"acme","metadata":{"accountId":"acct_42","plan":"pro"},"scopes":["orders:read"]}'`,
    '',
    `Admin API reference: ${adminUrl}/admin/v1/openapi.json`,
    '',
  ].join('\n');
}

function laterStartBanner({ gatewayUrl, adminUrl }: BannerInput, config: string): string {
  return [
    '',
    `Portcullis is running: gateway ${gatewayUrl}, admin API ${adminUrl}.`,
    'This store already has an admin key (it was shown on its first start). To create another, run',
    'in this folder:',
    '',
    `  ${CLI_COMMAND} admin create-key${config}`,
    '',
    `Admin API reference: ${adminUrl}/admin/v1/openapi.json`,
    '',
  ].join('\n');
}

function demoBanner({ gatewayUrl, adminUrl, firstAdminKey }: BannerInput, demo: DemoCredentials, config: string): string {
  if (!demo.key) {
    return [
      '',
      `Demo API: ${gatewayUrl}/echo/… The demo key was printed on the first run; to make another, run in`,
      'this folder:',
      '',
      `  ${CLI_COMMAND} keys create ${demo.consumerId}${config}`,
      '',
    ].join('\n');
  }
  const lines = [
    '',
    'Demo: the API /echo forwards to a built-in echo upstream and needs an API key. A demo consumer',
    'and its key were created (shown once):',
    '',
    `  PORTCULLIS_DEMO_KEY=${demo.key}`,
    '',
    'Call the API with the key (200; the echo shows the identity headers the upstream received):',
    '',
    `  curl -s ${gatewayUrl}/echo/hello -H "Authorization: Bearer ${demo.key}"`,
    `  curl -s ${gatewayUrl}/echo/hello -H "X-API-Key: ${demo.key}"`,
    '',
    'Without a key (401 with WWW-Authenticate):',
    '',
    `  curl -si ${gatewayUrl}/echo/hello`,
    '',
  ];
  if (firstAdminKey && demo.keyId) {
    lines.push(
      'Revoke the demo key through the admin API; the gateway refuses it at once (401):',
      '',
      `  curl -s -X POST ${adminUrl}/admin/v1/keys/${demo.keyId}/revoke -H "Authorization: Bearer ${firstAdminKey}"`,
      `  curl -si ${gatewayUrl}/echo/hello -H "Authorization: Bearer ${demo.key}"`,
      '',
    );
  }
  lines.push(`Metrics: ${adminUrl}/metrics (with the admin key)`, '');
  return lines.join('\n');
}

function portalBanner(portal: DemoPortalLinks): string {
  const lines = [
    '',
    `Developer portal: ${portal.portalUrl}`,
    '',
    'Sign in as the demo operator (operator@example.com) with this one-time link (1 hour):',
    '',
    `  ${portal.operatorSignIn}`,
    '',
  ];
  if (portal.memberInvitation) {
    lines.push(
      'Invitation for a member of the demo consumer (developer@example.com, owner; one-time, 7 days;',
      'emails go to the outbox: GET /admin/v1/outbox):',
      '',
      `  ${portal.memberInvitation}`,
      '',
    );
  }
  lines.push(`Another operator link: ${CLI_COMMAND} portal create-operator --email you@example.com`, '');
  return lines.join('\n');
}
