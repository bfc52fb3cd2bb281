// Opaque pagination cursors: callers hand back what we gave them; we never trust their contents.
import { PortcullisError } from '../errors/codes.js';

export function encodeCursor(lastId: string | null): string | null {
  return lastId === null ? null : Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const id = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!/^[a-z]{2,4}_[0-9A-Za-z]{1,64}$/.test(id)) throw new PortcullisError('INVALID_CURSOR');
  return id;
}
