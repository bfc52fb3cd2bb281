// The member and operator resource routes (keys, clients, usage, audit events, APIs) of the portal API.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import type { PortalPrincipal } from './principal.js';

// PLACEHOLDER until the resources helper's branch (issue #22, backend part 2) is merged: it replaces this file.
export function registerResourceRoutes(_scope: FastifyInstance, _deps: { app: App; principalOf(request: FastifyRequest): PortalPrincipal }): void {}
