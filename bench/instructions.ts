// Gateway cost in instructions, for machines whose speed drifts more than a change moves req/s: the
// targets of bench/gateway.ts (the bare proxy on `pool.stream()` that the goal compares with, the
// bare proxy on Portcullis' forwarding code, the floor, Portcullis with API-key auth), each run
// under `valgrind --tool=callgrind`, warmed up, then counted over a fixed number of requests.
// Instructions are counted on the main thread only: the JIT compiler's threads do an amount of work
// in the counted window that depends on how far tiering got under valgrind, not on the code.
//   npm run bench -- instructions   (or: node dist/bench/instructions.js [--warm 20000] [--count 4000]
//                                      [--also <another build's dist/bench/gateway.js>])
// --also adds that build's Portcullis as a fifth target: an A/B of two builds in instructions. A
// build before 4726934 does not read BENCH_COUNTING (below), so its count includes timed work.
// A shorter warm-up leaves code still running in V8's baseline tier in the counted window (with
// 2,000 the floor counted 28k above the bare proxy instead of ~2k; with 6,000 parts of Portcullis'
// authentication and access log were still unoptimised, ~4.6k a request more than with 20,000).
// Needs valgrind (every machine kind here has it); without it the bench says so and stops.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countRequests, start, stop, valgrindMissing } from './lib/callgrind.js';
import { option } from './lib/child.js';

const gatewayScript = fileURLToPath(new URL('./gateway.js', import.meta.url));

async function main(): Promise<void> {
  const missing = valgrindMissing();
  if (missing) {
    console.log(`instructions bench: ${missing}; skipped`);
    return;
  }
  const warm = option('warm', 20000);
  const count = option('count', 4000);
  const alsoIndex = process.argv.indexOf('--also');
  const also = alsoIndex === -1 ? undefined : process.argv[alsoIndex + 1];
  console.log(`instructions bench: callgrind, main thread, ${warm} warm-up and ${count} counted requests per target, 8 connections, Node ${process.version}`);

  const dir = mkdtempSync(join(tmpdir(), 'portcullis-instructions-'));
  const upstream = await start(gatewayScript, ['upstream']);
  const origin = `http://127.0.0.1:${upstream.info.port}`;
  const targets: Array<[string, string, string[]]> = [
    ['bare node:http + undici proxy (pool.stream)', gatewayScript, ['baseline', origin, 'stream']],
    ["bare proxy on Portcullis' forwarding code (dispatch)", gatewayScript, ['baseline', origin, 'dispatch']],
    ['floor: bare proxy + the headers Portcullis sends upstream', gatewayScript, ['baseline', origin, 'floor']],
    ['Portcullis, API-key auth', gatewayScript, ['portcullis', origin, 'raw']],
  ];
  if (also) targets.push([`Portcullis, API-key auth (${also})`, also, ['portcullis', origin, 'raw']]);
  const figures: number[] = [];
  try {
    for (const [index, [, script, args]] of targets.entries()) figures.push(await countRequests(script, args, dir, `target${index}`, warm, count));
  } finally {
    await stop(upstream.child);
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\n| target | instructions per request (main thread) | bare proxy / target |');
  console.log('|---|---|---|');
  for (const [i, [name]] of targets.entries()) console.log(`| ${name} | ${(figures[i]! / 1000).toFixed(1)}k | ${(figures[0]! / figures[i]!).toFixed(3)} |`);
  console.log(
    `\nPortcullis, by instructions: ${(figures[0]! / figures[3]!).toFixed(3)} of the bare proxy (the req/s goal is ≥ 0.85), ` +
      `${(figures[1]! / figures[3]!).toFixed(3)} of the bare proxy on its own forwarding code`,
  );
}

await main();
