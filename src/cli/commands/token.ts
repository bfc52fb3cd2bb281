// `portcullis token`: an access token fetched as a client (client credentials grant), printed.
import { type Command, Option } from 'commander';
import { type ClientAuthMethod, createTokenClient, TokenRequestError } from '../../client/index.js';
import { resolveIssuer } from '../../oauth/settings.js';
import { type CliContext, CliError, loadCliConfig } from '../context.js';
import { printJson } from '../output.js';

interface TokenOptions {
  clientId: string;
  clientSecret?: string;
  issuer?: string;
  tokenUrl?: string;
  authMethod?: string;
  scope?: string;
  audience?: string;
  config?: string;
  json?: boolean;
}

export function addToken(program: Command, ctx: CliContext): void {
  program
    .command('token')
    .description('fetch an access token as a client (client credentials grant) and print it')
    .requiredOption('--client-id <id>', 'the client_id (cli_…)')
    // PORTCULLIS_CLIENT_SECRET is read from the run's environment below; named here for --help.
    .addOption(new Option('--client-secret <secret>', 'the client secret (env: PORTCULLIS_CLIENT_SECRET)'))
    .option('--issuer <url>', 'the Portcullis issuer / public URL (default: from the config)')
    .option('--token-url <url>', 'the token endpoint (default: <issuer>/oauth/token)')
    .option('--auth-method <method>', 'client_secret_basic or client_secret_post (default: basic, then post if the client is pinned to it)')
    .option('--scope <scopes>', 'space- or comma-separated scopes (default: all the client may have)')
    .option('--audience <aud>', 'the API the token is for')
    .option('--config <file>', 'config file (for the default issuer)')
    .option('--json', 'print the token response as the server sent it')
    .action(async (o: TokenOptions) => {
      const clientSecret = o.clientSecret ?? ctx.env.PORTCULLIS_CLIENT_SECRET;
      if (!clientSecret) throw new CliError('give --client-secret or set PORTCULLIS_CLIENT_SECRET');
      const named = o.authMethod as ClientAuthMethod | undefined;
      if (named !== undefined && named !== 'client_secret_basic' && named !== 'client_secret_post') {
        throw new CliError('--auth-method takes client_secret_basic or client_secret_post');
      }
      // The config is read only when neither the endpoint nor the issuer is given.
      const endpoint = o.tokenUrl ? { tokenUrl: o.tokenUrl } : { issuer: o.issuer || resolveIssuer(loadCliConfig(ctx, o.config).config) };
      const client = createTokenClient({
        ...endpoint,
        clientId: o.clientId,
        clientSecret,
        ...(named ? { authMethod: named } : {}),
        ...(o.scope ? { scope: o.scope.split(/[ ,]+/).filter(Boolean) } : {}),
        ...(o.audience ? { audience: o.audience } : {}),
      });
      try {
        const token = await client.getAccessToken();
        if (o.json) printJson(ctx.stdout, token.response);
        else ctx.stdout.write(`${token.accessToken}\n`);
      } catch (error) {
        if (!(error instanceof TokenRequestError)) throw error;
        const refusal = `the token endpoint refused: ${error.message}${error.status ? ` (HTTP ${error.status})` : ''}`;
        if (error.error !== 'invalid_client') throw new CliError(refusal);
        const other = named === 'client_secret_basic' ? 'client_secret_post' : 'client_secret_basic';
        throw new CliError(
          named === undefined
            ? `${refusal}; neither client_secret_basic nor client_secret_post was accepted: check --client-id and the secret (--client-secret or PORTCULLIS_CLIENT_SECRET); a private_key_jwt client gets tokens from portcullis/client with privateKey`
            : `${refusal}; if the client is pinned to ${other}, pass --auth-method ${other} (or leave --auth-method out to try both); else check --client-id and the secret`,
        );
      }
    });
}
