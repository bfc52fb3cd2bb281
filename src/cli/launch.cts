#!/usr/bin/env node
// The `portcullis` executable. libuv reads UV_THREADPOOL_SIZE once, when its thread pool first starts,
// and Node's ESM loader starts the pool while it loads an ESM entry; so this entry is CommonJS: it sizes
// the pool (thread-pool.cts) and then imports and runs the command line (main.ts).
import { availableParallelism } from 'node:os';
import { threadPoolSize } from './thread-pool.cjs';

process.env.UV_THREADPOOL_SIZE = threadPoolSize(availableParallelism(), process.env.UV_THREADPOOL_SIZE);
void import('./main.js').then((cli) => cli.main(process.argv));
