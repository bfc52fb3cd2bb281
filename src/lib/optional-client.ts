// The PostgreSQL and Redis clients are loaded on first use, not at start: a node on the embedded
// default (SQLite, no Redis) never pays for them (~15 MB and ~19 MB of RSS, bench/scale.ts).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const loadPg = (): typeof import('pg') => require('pg');
export const loadIoredis = (): typeof import('ioredis') => require('ioredis');
