// Readiness: is the store answering? A ping that does not answer in time is a "no" — /readyz must
// answer within a second even when the store hangs (a silent network partition), so that a load
// balancer can take the node out instead of waiting with it.
import type { Store } from '../store/types.js';

/** /readyz answers within this, whatever `storeTimeout` is. */
export const READINESS_TIMEOUT_MS = 800;

export async function storeIsReady(store: Store, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.min(timeoutMs, READINESS_TIMEOUT_MS));
  });
  try {
    // The ping itself is bounded by storeTimeout and cleans up after itself; only the answer is early.
    return await Promise.race([store.ping().then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
