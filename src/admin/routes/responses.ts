import { Problem } from '../schemas.js';

/** Error responses every admin route documents. */
export const errorResponses = {
  '4xx': Problem,
  '5xx': Problem,
} as const;
