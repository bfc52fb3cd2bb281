#!/usr/bin/env node
// The `portcullis` executable: runs the command line (main.ts). libuv's thread pool keeps its own
// size (4, or UV_THREADPOOL_SIZE); sizing it to cores − 1 from a CommonJS launcher did not measure
// above noise on the 2-core bench machine (docs/benchmarks.md, "Why the hot path looks like this").
import { main } from './main.js';

await main(process.argv);
