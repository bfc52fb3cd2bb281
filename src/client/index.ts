// portcullis/client: fetch, cache and refresh OAuth client-credentials tokens.

export type { AccessToken, AssertionAlgorithm, ClientAuthMethod, TokenClient, TokenClientOptions } from './token-client.js';
export { createClientAssertion, createTokenClient, TokenRequestError } from './token-client.js';
