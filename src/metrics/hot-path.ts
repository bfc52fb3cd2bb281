// Counters and histograms for the per-request path. prom-client hashes a label object on every
// observation, which showed up at several percent of the gateway's CPU (bench/gateway.ts with
// --cpu-prof); these keep plain numbers per label set and hand them to the registry at scrape time.
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
type Value = { value: number; labels: Labels; metricName?: string };

export interface CounterChild {
  inc(by?: number): void;
}

export interface HistogramChild {
  observe(value: number): void;
}

function labelsOf(names: readonly string[], values: readonly string[]): Labels {
  const labels: Labels = {};
  names.forEach((name, i) => (labels[name] = values[i]!));
  return labels;
}

/** A counter whose children are plain objects; `child()` is for set-up, `inc()` for the hot path. */
export function hotCounter(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  const children: Array<{ labels: Labels; value: number }> = [];
  registry.registerMetric({
    name,
    help,
    type: 'counter',
    get: async () => ({ name, help, type: 'counter', aggregator: 'sum', values: children.map((c): Value => ({ value: c.value, labels: c.labels })) }),
  } as never);
  return {
    child(...values: string[]): CounterChild {
      const child = { labels: labelsOf(labelNames, values), value: 0 };
      children.push(child);
      return {
        inc(by = 1) {
          child.value += by;
        },
      };
    },
  };
}

export function hotHistogram(registry: Registry, name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
  const children: Array<{ labels: Labels; counts: number[]; sum: number; count: number }> = [];
  registry.registerMetric({
    name,
    help,
    type: 'histogram',
    get: async () => {
      const values: Value[] = [];
      for (const child of children) {
        let cumulative = 0;
        buckets.forEach((le, i) => {
          cumulative += child.counts[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { le: String(le), ...child.labels }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...child.labels }, value: child.count });
        values.push({ metricName: `${name}_sum`, labels: child.labels, value: child.sum });
        values.push({ metricName: `${name}_count`, labels: child.labels, value: child.count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  } as never);
  return {
    child(...values: string[]): HistogramChild {
      const child = { labels: labelsOf(labelNames, values), counts: new Array<number>(buckets.length).fill(0), sum: 0, count: 0 };
      children.push(child);
      return {
        observe(value) {
          child.sum += value;
          child.count++;
          for (let i = 0; i < buckets.length; i++) {
            if (value <= buckets[i]!) {
              child.counts[i]!++;
              return;
            }
          }
        },
      };
    },
  };
}
