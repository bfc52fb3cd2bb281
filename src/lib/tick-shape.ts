// Keeps one of process.nextTick's queue entries alive for the life of the process.
//
// nextTick builds each entry as an object literal with computed (symbol) keys. V8 remembers the
// shapes that literal goes through in the function's feedback, weakly: when a full GC finds no entry
// alive (the tick queue empty, e.g. an idle moment after startup), those shapes die, the next entry
// gets new ones, and V8 marks the literal's feedback megamorphic for good. From then on every
// nextTick — several a proxied request, from node's streams and http — builds its entry through the
// runtime: ~30k instructions a request more in bench/instructions.ts, 15 % of the gateway's cost.
// One entry held here keeps the shapes alive, so a GC never clears them.
import { executionAsyncResource } from 'node:async_hooks';

/** Read by nothing: its entry is held only so that its shapes stay alive. */
const holder: { entry?: object } = {};
let asked = false;

/** Idempotent. The entry is taken on the next tick: while a tick runs, its entry is the execution resource. */
export function keepTickShape(): void {
  if (asked) return;
  asked = true;
  process.nextTick(() => {
    holder.entry = executionAsyncResource();
  });
}

/** Whether this process keeps the shape: only the server start asks for it (src/server/start.ts), never `createApp`. */
export function isTickShapeKept(): boolean {
  return asked;
}
