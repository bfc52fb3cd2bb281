import { Type } from '@sinclair/typebox';
import { Problem, ref } from '../schemas.js';

/** Error responses every admin route documents. */
export const errorResponses = {
  '4xx': ref(Problem),
  '5xx': ref(Problem),
} as const;

/** A 204 answer: documented as `null`, typed as no body, so the handler ends with `reply.code(204).send()`. */
export const noContent = Type.Unsafe<void>(Type.Null());
