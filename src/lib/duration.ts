// Durations in config: "250ms", "5s", "10m", "1h", "7d", or a number of seconds.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h|d)$';
const DURATION = /^([0-9]+)(ms|s|m|h|d)$/;

/** Milliseconds for a duration; throws on a malformed value (config validation catches it earlier). */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  const ms = durationMs(value);
  if (ms === undefined) throw new Error(`not a duration: ${JSON.stringify(value)}`);
  return ms;
}

/** Milliseconds for a duration string, or undefined when `value` is not one (stored data, unchecked). */
export function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value);
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
}
