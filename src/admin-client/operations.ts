// Every operation of the admin API, by its OpenAPI operationId: method, path, and the names of its
// query, body and answer schemas. The types come from the server's own TypeBox schemas, so they
// cannot drift; a test holds this table to the OpenAPI document the server serves.
import type { Static } from '@sinclair/typebox';
import type { adminComponents } from '../admin/components.js';
import type { ImportQuery } from '../admin/import-schemas.js';
import type { AuditQuery, PageQuery, UsageQuery } from '../admin/schemas.js';
import type { WebhookQuery } from '../admin/webhook-schemas.js';

/** The admin API's named schemas (`#/components/schemas/<name>`), as TypeScript types. */
export type AdminSchemas = { [Name in keyof typeof adminComponents]: Static<(typeof adminComponents)[Name]> };

/** The query strings the list and usage operations take. */
export interface AdminQueries {
  PageQuery: Static<typeof PageQuery>;
  AuditQuery: Static<typeof AuditQuery>;
  UsageQuery: Static<typeof UsageQuery>;
  ImportQuery: Static<typeof ImportQuery>;
  WebhookQuery: Static<typeof WebhookQuery>;
}

export interface OperationSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI path, `{param}` style. */
  path: string;
  query?: keyof AdminQueries;
  body?: keyof AdminSchemas;
  /** The schema of the success answer; null for 204 No Content. */
  response: keyof AdminSchemas | null;
}

export const adminOperations = {
  listConsumers: { method: 'GET', path: '/admin/v1/consumers', query: 'PageQuery', response: 'ConsumerPage' },
  createConsumer: { method: 'POST', path: '/admin/v1/consumers', body: 'ConsumerCreate', response: 'Consumer' },
  getConsumer: { method: 'GET', path: '/admin/v1/consumers/{id}', response: 'ConsumerWithQuota' },
  updateConsumer: { method: 'PATCH', path: '/admin/v1/consumers/{id}', body: 'ConsumerUpdate', response: 'Consumer' },
  deleteConsumer: { method: 'DELETE', path: '/admin/v1/consumers/{id}', response: null },

  listKeys: { method: 'GET', path: '/admin/v1/consumers/{id}/keys', query: 'PageQuery', response: 'KeyPage' },
  createKey: { method: 'POST', path: '/admin/v1/consumers/{id}/keys', body: 'KeyCreate', response: 'IssuedKey' },
  verifyKey: { method: 'POST', path: '/admin/v1/keys/verify', body: 'VerifyRequest', response: 'VerifyResponse' },
  getKey: { method: 'GET', path: '/admin/v1/keys/{keyId}', response: 'KeyWithQuota' },
  updateKey: { method: 'PATCH', path: '/admin/v1/keys/{keyId}', body: 'KeyUpdate', response: 'Key' },
  revokeKey: { method: 'POST', path: '/admin/v1/keys/{keyId}/revoke', response: 'Key' },
  rollKey: { method: 'POST', path: '/admin/v1/keys/{keyId}/roll', body: 'KeyRoll', response: 'RolledKey' },
  reportLeakedKeys: { method: 'POST', path: '/admin/v1/keys/leaked', body: 'LeakReport', response: 'LeakReportResult' },

  listClients: { method: 'GET', path: '/admin/v1/consumers/{id}/clients', query: 'PageQuery', response: 'ClientPage' },
  createClient: { method: 'POST', path: '/admin/v1/consumers/{id}/clients', body: 'ClientCreate', response: 'IssuedClient' },
  getClient: { method: 'GET', path: '/admin/v1/clients/{clientId}', response: 'Client' },
  updateClient: { method: 'PATCH', path: '/admin/v1/clients/{clientId}', body: 'ClientUpdate', response: 'Client' },
  deleteClient: { method: 'DELETE', path: '/admin/v1/clients/{clientId}', response: null },
  rotateClientSecret: { method: 'POST', path: '/admin/v1/clients/{clientId}/secrets', body: 'SecretRotate', response: 'RotatedSecret' },
  revokeClientTokens: { method: 'POST', path: '/admin/v1/clients/{clientId}/revoke-tokens', response: 'Client' },
  revokeToken: { method: 'POST', path: '/admin/v1/tokens/{jti}/revoke', response: 'RevokedToken' },
  listSigningKeys: { method: 'GET', path: '/admin/v1/signing-keys', response: 'SigningKeyList' },
  rotateSigningKey: { method: 'POST', path: '/admin/v1/signing-keys/rotate', body: 'SigningKeyRotate', response: 'SigningKey' },

  inviteMember: { method: 'POST', path: '/admin/v1/consumers/{id}/members', body: 'MemberInvite', response: 'IssuedInvitation' },
  listMembers: { method: 'GET', path: '/admin/v1/consumers/{id}/members', response: 'MemberPage' },
  removeMember: { method: 'DELETE', path: '/admin/v1/consumers/{id}/members/{memberId}', response: null },
  listOutbox: { method: 'GET', path: '/admin/v1/outbox', query: 'PageQuery', response: 'OutboxMessagePage' },
  disablePortalUser: { method: 'POST', path: '/admin/v1/portal-users/{userId}/disable', response: 'PortalUser' },
  enablePortalUser: { method: 'POST', path: '/admin/v1/portal-users/{userId}/enable', response: 'PortalUser' },

  listAuditEvents: { method: 'GET', path: '/admin/v1/audit-events', query: 'AuditQuery', response: 'AuditEventPage' },
  getUsage: { method: 'GET', path: '/admin/v1/usage', query: 'UsageQuery', response: 'UsageReport' },

  importRecords: { method: 'POST', path: '/admin/v1/imports', query: 'ImportQuery', body: 'ImportRequest', response: 'ImportReport' },
  createWebhook: { method: 'POST', path: '/admin/v1/webhooks', body: 'WebhookCreate', response: 'IssuedWebhook' },
  listWebhooks: { method: 'GET', path: '/admin/v1/webhooks', query: 'WebhookQuery', response: 'WebhookPage' },
  getWebhook: { method: 'GET', path: '/admin/v1/webhooks/{webhookId}', response: 'Webhook' },
  updateWebhook: { method: 'PATCH', path: '/admin/v1/webhooks/{webhookId}', body: 'WebhookUpdate', response: 'Webhook' },
  deleteWebhook: { method: 'DELETE', path: '/admin/v1/webhooks/{webhookId}', response: null },
  rollWebhookSecret: { method: 'POST', path: '/admin/v1/webhooks/{webhookId}/secret', body: 'WebhookSecretRoll', response: 'RolledWebhookSecret' },
  listWebhookDeliveries: { method: 'GET', path: '/admin/v1/webhooks/{webhookId}/deliveries', query: 'PageQuery', response: 'WebhookDeliveryPage' },
  retryWebhookDelivery: { method: 'POST', path: '/admin/v1/webhooks/{webhookId}/deliveries/{deliveryId}/retry', response: 'WebhookDelivery' },
  reloadConfig: { method: 'POST', path: '/admin/v1/reload', response: 'ReloadOutcome' },
} as const satisfies Record<string, OperationSpec>;

export type AdminOperationId = keyof typeof adminOperations;
