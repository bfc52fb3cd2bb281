// Derives the accent colours from branding.primaryColor and sets them as CSS custom properties through the
// CSSOM (the CSP allows no inline style attribute). Each shade is pushed darker (light scheme) or lighter
// (dark scheme) until text on it and it as text reach WCAG AA contrast, whatever colour the operator picked.

type Rgb = [number, number, number];

const DEFAULT_PRIMARY = '#4f46e5';
const LIGHT_SURFACE: Rgb = [255, 255, 255];
const DARK_SURFACE: Rgb = [22, 24, 31];

function parseHex(color: string): Rgb | null {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!m) return null;
  const hex = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

function toHsl([r, g, b]: Rgb): [number, number, number] {
  const [rn, gn, bn] = [r / 255, g / 255, b / 255];
  const max = Math.max(rn, gn, bn);
  const min = Math.min(rn, gn, bn);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  const h = max === rn ? (gn - bn) / d + (gn < bn ? 6 : 0) : max === gn ? (bn - rn) / d + 2 : (rn - gn) / d + 4;
  return [h * 60, s, l];
}

function fromHsl(h: number, s: number, l: number): Rgb {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0), f(8), f(4)].map((v) => Math.round(v * 255)) as Rgb;
}

function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const css = ([r, g, b]: Rgb) => `rgb(${r} ${g} ${b})`;

/** Moves lightness in `step` until the colour reaches `ratio` against `surface`. */
function reach(h: number, s: number, l: number, surface: Rgb, ratio: number, step: number): Rgb {
  let lightness = l;
  let rgb = fromHsl(h, s, lightness);
  while (contrast(rgb, surface) < ratio && lightness > 0.02 && lightness < 0.98) {
    lightness += step;
    rgb = fromHsl(h, s, lightness);
  }
  return rgb;
}

export function accentPalette(primary: string | null | undefined): Record<string, string> {
  const rgb = parseHex(primary ?? '') ?? parseHex(DEFAULT_PRIMARY)!;
  const [h, s, l] = toHsl(rgb);
  const sat = Math.min(s, 0.9);
  const light = reach(h, sat, Math.min(l, 0.55), LIGHT_SURFACE, 4.8, -0.02);
  const dark = reach(h, sat, Math.max(l, 0.6), DARK_SURFACE, 6, 0.02);
  const [, , lightL] = toHsl(light);
  const [, , darkL] = toHsl(dark);
  return {
    '--accent-light': css(light),
    '--accent-light-hover': css(fromHsl(h, sat, Math.max(lightL - 0.07, 0.05))),
    '--accent-light-soft': css(fromHsl(h, Math.min(sat, 0.7), 0.96)),
    '--accent-light-ring': css(fromHsl(h, sat, Math.min(lightL + 0.2, 0.75))),
    '--accent-dark': css(dark),
    '--accent-dark-hover': css(fromHsl(h, sat, Math.min(darkL + 0.07, 0.95))),
    '--accent-dark-soft': css(fromHsl(h, Math.min(sat, 0.5), 0.17)),
    '--accent-dark-ring': css(fromHsl(h, sat, Math.max(darkL - 0.15, 0.35))),
  };
}

export function applyBranding(primary: string | null | undefined, title: string): void {
  const style = document.documentElement.style;
  for (const [name, value] of Object.entries(accentPalette(primary))) style.setProperty(name, value);
  document.title = title;
}
