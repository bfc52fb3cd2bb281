// How many nodes are live, as this node sees it: itself plus every peer heard from on the change
// channel within the last few heartbeat intervals. While the channel is down the count is held at
// its last value, so per-node rate limits during a Redis outage are divided by the nodes that were
// live when it began, not by whoever this node still happens to remember.
import type { Clock } from '../lib/clock.js';

export interface NodeCount {
  /** A message from `nodeId` arrived now; true when that node was not counted until now. */
  seen(nodeId: string): boolean;
  /** Live nodes, this one included: at least 1. */
  count(): number;
  /** The channel is down: keep answering the count of this moment. */
  hold(): void;
  /** The channel is back: every known peer gets a fresh grace period to be heard from again. */
  release(): void;
}

export interface NodeCountOptions {
  clock: Clock;
  /** A peer not heard from for longer is no longer counted. */
  staleAfterMs: number;
  /** Peers remembered at most; a flood of made-up ids on the channel cannot grow memory past this. */
  maxPeers?: number;
}

export function createNodeCount({ clock, staleAfterMs, maxPeers = 1_024 }: NodeCountOptions): NodeCount {
  const lastSeen = new Map<string, number>();
  let held: number | undefined;

  function live(): number {
    const oldest = clock.now() - staleAfterMs;
    for (const [node, at] of lastSeen) if (at < oldest) lastSeen.delete(node);
    return 1 + lastSeen.size;
  }

  return {
    seen(nodeId) {
      const known = lastSeen.has(nodeId);
      if (!known && lastSeen.size >= maxPeers && live() > maxPeers) return false;
      lastSeen.set(nodeId, clock.now());
      return !known;
    },
    count() {
      return held ?? live();
    },
    hold() {
      held ??= live();
    },
    release() {
      if (held === undefined) return;
      held = undefined;
      const now = clock.now();
      for (const node of lastSeen.keys()) lastSeen.set(node, now);
    },
  };
}
