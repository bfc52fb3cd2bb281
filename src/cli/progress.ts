// A progress bar for long commands, drawn only on a terminal: a few lines of `\r` redraws rather than
// a dependency (cli-progress and the like bring terminal detection, themes and timers we do not need).
// Anywhere else (a pipe, a file, CI logs) it draws nothing, so the output stays the report alone.
import type { Writer } from './context.js';

const WIDTH = 30;
/** At most one redraw this often, so 100,000 rows do not mean 100,000 writes. */
const REDRAW_MS = 100;

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Clears the bar's line. */
  end(): void;
}

export function isTerminal(out: Writer): boolean {
  return (out as { isTTY?: boolean }).isTTY === true;
}

export function progressBar(out: Writer, label: string, now: () => number = Date.now): ProgressBar {
  if (!isTerminal(out)) return { update() {}, end() {} };
  let drawnAt = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(done, total) {
      const t = now();
      if (done < total && t - drawnAt < REDRAW_MS) return;
      drawnAt = t;
      drawn = true;
      const share = total === 0 ? 1 : done / total;
      const filled = Math.round(share * WIDTH);
      out.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${done}/${total} (${Math.floor(share * 100)}%)`);
    },
    end() {
      if (drawn) out.write('\r\x1b[2K');
    },
  };
}
