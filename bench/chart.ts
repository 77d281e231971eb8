/**
 * A hand-written SVG of throughput and latency against concurrency: two panels, one line per
 * series, x on a log2 scale (1, 4, 16, 32), y linear from zero. No browser, no dependencies.
 */

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: { x: number; y: number }[];
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
}

const WIDTH = 480;
const HEIGHT = 360;
const MARGIN = { left: 64, right: 16, top: 40, bottom: 100 };

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function panel(p: Panel, offsetX: number, xs: number[]): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const logs = xs.map((x) => Math.log2(x));
  const minLog = Math.min(...logs);
  const maxLog = Math.max(...logs);
  const xOf = (x: number) =>
    offsetX +
    MARGIN.left +
    (maxLog === minLog ? plotW / 2 : ((Math.log2(x) - minLog) / (maxLog - minLog)) * plotW);
  const allY = p.series.flatMap((s) => s.points.map((point) => point.y)).filter(Number.isFinite);
  const top = niceMax(Math.max(0, ...allY));
  const yOf = (y: number) => MARGIN.top + plotH - (y / top) * plotH;
  const parts: string[] = [];
  parts.push(
    `<text x="${offsetX + WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(p.title)}</text>`,
  );
  for (let i = 0; i <= 5; i++) {
    const value = (top / 5) * i;
    const y = yOf(value);
    parts.push(
      `<line x1="${offsetX + MARGIN.left}" x2="${offsetX + MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${offsetX + MARGIN.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${Math.round(value * 10) / 10}</text>`,
    );
  }
  for (const x of xs) {
    parts.push(
      `<line x1="${xOf(x)}" x2="${xOf(x)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`,
      `<text x="${xOf(x)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" font-size="11">${x}</text>`,
    );
  }
  parts.push(
    `<text x="${offsetX + MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 34}" text-anchor="middle" font-size="12">concurrent clients</text>`,
    `<text transform="translate(${offsetX + 16} ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(p.yLabel)}</text>`,
    `<rect x="${offsetX + MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  );
  p.series.forEach((s, index) => {
    const points = s.points.filter((point) => Number.isFinite(point.y));
    const path = points.map((point) => `${xOf(point.x).toFixed(1)},${yOf(point.y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      ...points.map(
        (point) =>
          `<circle cx="${xOf(point.x).toFixed(1)}" cy="${yOf(point.y).toFixed(1)}" r="3" fill="${s.color}"><title>${escapeXml(`${s.name}: ${point.y} at ${point.x}`)}</title></circle>`,
      ),
    );
    const legendY = MARGIN.top + plotH + 52 + index * 15;
    parts.push(
      `<line x1="${offsetX + MARGIN.left}" x2="${offsetX + MARGIN.left + 24}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${offsetX + MARGIN.left + 30}" y="${legendY}" font-size="11">${escapeXml(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

export function renderChart(title: string, panels: Panel[], xs: number[]): string {
  const width = WIDTH * panels.length;
  const height = HEIGHT + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<g transform="translate(0 24)">`,
    ...panels.map((p, i) => panel(p, i * WIDTH, xs)),
    `</g>`,
    `<text x="8" y="16" font-size="12" fill="#555">${escapeXml(title)}</text>`,
    `</svg>`,
    '',
  ].join('\n');
}
