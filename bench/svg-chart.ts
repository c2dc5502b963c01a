// A dependency-free SVG chart: stacked panels of horizontal bars, each panel on its own scale.

export interface Bar {
  label: string;
  value: number;
  /** Optional second value drawn as a thin marker bar under the main one (e.g. p99 under p50). */
  secondary?: number;
}

export interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
  /** Legend for the secondary bars. */
  secondaryLabel?: string;
}

const WIDTH = 1040;
const LABEL_WIDTH = 420;
const VALUE_WIDTH = 130;
const BAR_HEIGHT = 18;
const GAP = 8;
const PANEL_HEAD = 30;
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(v >= 10 ? 1 : 2);
}

export function renderChart(title: string, subtitle: string, panels: readonly Panel[]): string {
  const out: string[] = [];
  let y = 56;
  for (const panel of panels) {
    const max = Math.max(...panel.bars.flatMap((b) => [b.value, b.secondary ?? 0]).filter(Number.isFinite), 1e-9);
    const scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20) / max;
    out.push(`<text x="10" y="${y + 18}" font-size="14" font-weight="bold">${esc(panel.title)} (${esc(panel.unit)})</text>`);
    if (panel.secondaryLabel) {
      out.push(`<text x="${WIDTH - 10}" y="${y + 18}" font-size="11" text-anchor="end" fill="#555">thin bar: ${esc(panel.secondaryLabel)}</text>`);
    }
    y += PANEL_HEAD;
    panel.bars.forEach((bar, i) => {
      const color = COLORS[i % COLORS.length]!;
      const w = Math.max(1, (Number.isFinite(bar.value) ? bar.value : 0) * scale);
      out.push(`<text x="${LABEL_WIDTH - 8}" y="${y + 13}" font-size="12" text-anchor="end">${esc(bar.label)}</text>`);
      out.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT - (bar.secondary === undefined ? 0 : 6)}" fill="${color}"/>`);
      let text = formatValue(bar.value);
      if (bar.secondary !== undefined) {
        const w2 = Math.max(1, bar.secondary * scale);
        out.push(`<rect x="${LABEL_WIDTH}" y="${y + BAR_HEIGHT - 5}" width="${w2.toFixed(1)}" height="4" fill="${color}" opacity="0.55"/>`);
        text += ` / ${formatValue(bar.secondary)}`;
      }
      const end = LABEL_WIDTH + Math.max(w, bar.secondary === undefined ? 0 : bar.secondary * scale);
      out.push(`<text x="${(end + 6).toFixed(1)}" y="${y + 13}" font-size="12">${esc(text)}</text>`);
      y += BAR_HEIGHT + GAP;
    });
    y += GAP * 2;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="24" font-size="17" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="44" font-size="12" fill="#555">${esc(subtitle)}</text>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
