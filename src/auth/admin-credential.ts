// What makes a credential an admin credential: the portcullis:admin scope, or belonging to the admin
// consumer. Such credentials open the admin API and nothing else; the gateway and library mode
// refuse them (ADMIN_KEY_NOT_ALLOWED), so an admin key that leaks through an API client's config
// cannot also be used as an ordinary caller's key.
export const ADMIN_SCOPE = 'portcullis:admin';
export const ADMIN_CONSUMER_NAME = 'portcullis-admin';

export function isAdminCredential(consumerName: string | undefined, scopes: readonly string[] | undefined): boolean {
  return consumerName === ADMIN_CONSUMER_NAME || scopes?.includes(ADMIN_SCOPE) === true;
}
