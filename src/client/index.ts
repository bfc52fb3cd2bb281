// portcullis/client: fetch, cache and refresh OAuth client-credentials tokens.
export { createClientAssertion, createTokenClient, TokenRequestError } from './token-client.js';
export type { AccessToken, AssertionAlgorithm, ClientAuthMethod, TokenClient, TokenClientOptions } from './token-client.js';
