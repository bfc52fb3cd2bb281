// keepTickShape: after an idle full GC, process.nextTick must still build its entries through the
// shapes V8 recorded, not through the runtime (see src/lib/tick-shape.ts). Checked in a child with
// V8's own view of nextTick's feedback; without keepTickShape the same child reports it megamorphic.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

function nextTickFeedback(keep: boolean): string {
  const module = new URL('../../src/lib/tick-shape.js', import.meta.url).href;
  const script = `
    const { keepTickShape } = await import(${JSON.stringify(module)});
    if (${keep}) keepTickShape();
    const turn = () => new Promise((resolve) => setTimeout(resolve, 10));
    // Enough ticks for V8 to keep feedback for nextTick, then a moment with none queued.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 100; i++) process.nextTick(() => {});
      await turn();
    }
    globalThis.gc();
    globalThis.gc();
    for (let i = 0; i < 100; i++) process.nextTick(() => {});
    await turn();
    %DebugPrint(process.nextTick);
  `;
  const child = spawnSync(process.execPath, ['--expose-gc', '--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout
    .split('\n')
    .filter((line) => line.includes('DefineKeyedOwnPropertyInLiteral'))
    .join('\n');
}

test('an idle full GC leaves process.nextTick on its recorded shapes', (t) => {
  const kept = nextTickFeedback(true);
  if (kept === '') {
    t.skip(`this V8 (Node ${process.version}) does not show nextTick's literal feedback`);
    return;
  }
  assert.doesNotMatch(kept, /MEGAMORPHIC/, kept);
  assert.match(kept, /MONOMORPHIC/);
  t.diagnostic(`without keepTickShape: ${/MEGAMORPHIC/.test(nextTickFeedback(false)) ? 'megamorphic' : 'still monomorphic'}`);
});
