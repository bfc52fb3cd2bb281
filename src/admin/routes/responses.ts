import { Problem, ref } from '../schemas.js';

/** Error responses every admin route documents. */
export const errorResponses = {
  '4xx': ref(Problem),
  '5xx': ref(Problem),
} as const;
