// portcullis/admin: a typed client for the admin API (consumers, keys, OAuth clients, signing keys,
// audit, usage) over fetch.

export type { AdminClient, AdminClientOptions, AdminErrorCode, AdminOperations, AdminProblem, AdminRequestOptions, AdminResponse } from './client.js';
export { AdminApiError, createAdminClient } from './client.js';
export type { AdminOperationId, AdminQueries, AdminSchemas } from './operations.js';
export { adminOperations } from './operations.js';
