// The limit settings as configured (API config) and stored (consumers, keys, clients).
export type { QuotaPolicy as QuotaSetting, RateLimitPolicy as RateSetting } from '../store/types.js';
