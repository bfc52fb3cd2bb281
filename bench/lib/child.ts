// What the bench drivers share: reading a child process's announcement (its first JSON line on
// stdout: port and whatever else a target reports) and reading `--name value` options.
import type { ChildProcess } from 'node:child_process';

/** Resolves with the child and its first stdout line that is a JSON object; rejects if it exits first. */
export function announced<T>(child: ChildProcess, label: string): Promise<{ child: ChildProcess; info: T }> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk;
      const line = buffered
        .split('\n')
        .slice(0, -1)
        .find((l) => l.startsWith('{'));
      if (line) resolve({ child, info: JSON.parse(line) as T });
    });
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
  });
}

/** The number after `--<name>` on the command line, or `fallback`. */
export function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}
