// The version `portcullis --version` prints: the package's own, from the package.json beside dist/.
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  // This file runs as dist/src/cli/version.js, three folders below the package root.
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
