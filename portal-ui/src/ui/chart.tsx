// Requests per bucket as stacked SVG bars by status class (2xx, 3xx, 4xx, 5xx), with an accessible table
// of the same figures for screen readers and keyboard users.

import { useEffect, useRef, useState } from 'preact/hooks';
import { formatNumber } from '../format.js';

export interface UsageBucket {
  start: string;
  total: number;
  counts: Record<string, number>;
}

const CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;

function niceMax(n: number): number {
  if (n <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= n) return step * magnitude;
  return 10 * magnitude;
}

export function UsageChart({ buckets, granularity }: { buckets: UsageBucket[]; granularity: string }) {
  // Drawn at the figure's real width, so labels keep their size on a phone.
  const figure = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(720);
  useEffect(() => {
    const element = figure.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.max(280, Math.round(entry.contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const height = width < 500 ? 180 : 240;
  const pad = { top: 12, right: 8, bottom: 28, left: 44 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...buckets.map((b) => b.total)));
  const slot = innerW / Math.max(buckets.length, 1);
  const barW = Math.max(2, Math.min(28, slot * 0.7));
  const label = (iso: string) => {
    const d = new Date(iso);
    return granularity === 'day'
      ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
      : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  };
  const every = Math.max(1, Math.ceil(buckets.length / Math.max(2, Math.floor(width / 90))));
  return (
    <figure class="chart" ref={figure}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Requests per ${granularity} by status class`}>
        {[0, 0.25, 0.5, 0.75, 1].map((f) => {
          const y = pad.top + innerH * (1 - f);
          return (
            <g key={f} class="chart-grid">
              <line x1={pad.left} x2={width - pad.right} y1={y} y2={y} />
              <text x={pad.left - 8} y={y + 4} text-anchor="end">
                {formatNumber(Math.round(max * f))}
              </text>
            </g>
          );
        })}
        {buckets.map((b, i) => {
          const x = pad.left + slot * i + (slot - barW) / 2;
          let y = pad.top + innerH;
          return (
            <g key={b.start}>
              <title>{`${label(b.start)}: ${formatNumber(b.total)} requests`}</title>
              {CLASSES.map((c) => {
                const n = b.counts[c] ?? 0;
                if (!n) return null;
                const h = (n / max) * innerH;
                y -= h;
                return <rect key={c} class={`bar bar-${c}`} x={x} y={y} width={barW} height={Math.max(h, 1)} rx={Math.min(3, barW / 3)} />;
              })}
              {i % every === 0 && (
                <text class="chart-axis" x={x + barW / 2} y={height - 8} text-anchor="middle">
                  {label(b.start)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption class="chart-legend">
        {CLASSES.map((c) => (
          <span key={c}>
            <span class={`swatch bar-${c}`} aria-hidden="true" />
            {c}
          </span>
        ))}
      </figcaption>
      <details class="chart-table">
        <summary>Show the figures as a table</summary>
        <table class="table">
          <thead>
            <tr>
              <th scope="col">{granularity === 'day' ? 'Day' : 'Hour'}</th>
              {CLASSES.map((c) => (
                <th scope="col" class="num" key={c}>
                  {c}
                </th>
              ))}
              <th scope="col" class="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {buckets.map((b) => (
              <tr key={b.start}>
                <td>{label(b.start)}</td>
                {CLASSES.map((c) => (
                  <td class="num" key={c}>
                    {formatNumber(b.counts[c] ?? 0)}
                  </td>
                ))}
                <td class="num">{formatNumber(b.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
