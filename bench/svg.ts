// The ratio chart: proxied/direct calls/s per cell as grouped bars, hand-written SVG.

export interface Bar {
  /** Group label, e.g. "ListContainers c16". */
  readonly group: string;
  /** Series label, e.g. "N=250". */
  readonly series: string;
  readonly ratio: number;
}

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2"];

/** An SVG bar chart of `bars`, with a dashed target line per group where `targets` has one. */
export function ratioChart(bars: readonly Bar[], targets: ReadonlyMap<string, number>, title: string): string {
  const groups = [...new Set(bars.map((b) => b.group))];
  const series = [...new Set(bars.map((b) => b.series))];
  const barW = 14;
  const gap = 18;
  const groupW = series.length * barW + gap;
  const left = 48;
  const top = 40;
  const plotH = 220;
  const bottom = 110;
  // Room on the right for the last group's slanted label.
  const width = left + groups.length * groupW + 120;
  const height = top + plotH + bottom;
  const maxRatio = Math.max(1.2, ...bars.map((b) => (Number.isFinite(b.ratio) ? b.ratio : 0)));
  const yMax = Math.ceil(maxRatio * 5) / 5;
  const y = (r: number) => top + plotH - (Math.min(r, yMax) / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`);
  for (let t = 0; t <= yMax + 1e-9; t += 0.2) {
    const ty = y(t).toFixed(1);
    out.push(
      `<line x1="${left}" x2="${width - 120}" y1="${ty}" y2="${ty}" stroke="${Math.abs(t - 1) < 1e-9 ? "#333" : "#ddd"}"/>`,
    );
    out.push(`<text x="${left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${t.toFixed(1)}</text>`);
  }
  out.push(
    `<text transform="translate(12 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">proxied / direct calls/s</text>`,
  );
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + gap / 2;
    series.forEach((s, si) => {
      const bar = bars.find((b) => b.group === g && b.series === s);
      if (!bar || !Number.isFinite(bar.ratio)) return;
      const bx = x0 + si * barW;
      const by = y(bar.ratio);
      out.push(
        `<rect x="${bx}" y="${by.toFixed(1)}" width="${barW - 2}" height="${(top + plotH - by).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${g} ${s}: ${bar.ratio.toFixed(2)}`)}</title></rect>`,
      );
    });
    const target = targets.get(g);
    if (target !== undefined) {
      const ty = y(target).toFixed(1);
      out.push(
        `<line x1="${x0 - 3}" x2="${x0 + series.length * barW + 1}" y1="${ty}" y2="${ty}" stroke="#c00" stroke-width="2" stroke-dasharray="4 2"/>`,
      );
    }
    const lx = x0 + (series.length * barW) / 2;
    out.push(`<text transform="translate(${lx} ${top + plotH + 8}) rotate(40)" text-anchor="start">${esc(g)}</text>`);
  });
  const ly = height - 14;
  series.forEach((s, si) => {
    const lx = left + si * 80;
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${COLORS[si % COLORS.length]}"/><text x="${lx + 14}" y="${ly}">${esc(s)}</text>`,
    );
  });
  const tx = left + series.length * 80;
  out.push(
    `<line x1="${tx}" x2="${tx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="#c00" stroke-width="2" stroke-dasharray="4 2"/><text x="${tx + 22}" y="${ly}">target</text>`,
  );
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
