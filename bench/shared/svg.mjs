// Hand-written SVG line charts for the bench reports (no chart library): panels side by side or
// stacked, each with linear or log axes, tick labels, series drawn as polylines with optional
// markers and dashes, vertical marker lines, and a shared legend.

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const MARGIN = { left: 62, right: 16, top: 30, bottom: 44 };

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#17becf',
  '#7f7f7f',
  '#e377c2',
  '#bcbd22',
];

/**
 * An SVG document: `panels` laid out in `columns` columns of `panelWidth` × `panelHeight`, a title
 * and a legend (`legend`: [{ name, color, dash?, marker? }]) under them.
 */
export function chartDocument({
  title,
  subtitle,
  panels,
  columns = panels.length,
  panelWidth,
  panelHeight,
  legend = [],
}) {
  const rows = Math.ceil(panels.length / columns);
  const head = subtitle ? 48 : 32;
  const legendRows = Math.ceil(legend.length / 4);
  const width = columns * panelWidth;
  const height = head + rows * panelHeight + legendRows * 20 + 16;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`,
  ];
  if (subtitle) {
    parts.push(`<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`);
  }
  panels.forEach((panel, i) => {
    const x0 = (i % columns) * panelWidth;
    const y0 = head + Math.floor(i / columns) * panelHeight;
    parts.push(renderPanel(panel, x0, y0, panelWidth, panelHeight));
  });
  const legendTop = head + rows * panelHeight + 6;
  const slot = width / Math.min(4, Math.max(1, legend.length));
  legend.forEach((item, i) => {
    const x = (i % 4) * slot + 16;
    const y = legendTop + Math.floor(i / 4) * 20 + 8;
    parts.push(
      `<line x1="${x}" y1="${y}" x2="${x + 28}" y2="${y}" stroke="${item.color}" stroke-width="2.5"${dashAttr(item.dash)}/>`,
      item.marker ? marker(item.marker, x + 14, y, item.color) : '',
      `<text x="${x + 34}" y="${y + 4}">${esc(item.name)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/**
 * One panel. `x`/`y`: { label, scale: 'linear' | 'log', min?, max?, ticks? (values) };
 * `series`: [{ color, dash?, marker?, points: [[x, y], …] }] (null y values break the line);
 * `vlines`: [{ x, label }].
 */
function renderPanel(panel, x0, y0, w, h) {
  const plot = {
    left: x0 + MARGIN.left,
    right: x0 + w - MARGIN.right,
    top: y0 + MARGIN.top,
    bottom: y0 + h - MARGIN.bottom,
  };
  const points = panel.series.flatMap((s) => s.points.filter((p) => isNum(p[0]) && isNum(p[1])));
  const xs = axisRange(
    panel.x,
    points.map((p) => p[0]),
  );
  const ys = axisRange(
    panel.y,
    points.map((p) => p[1]),
  );
  const sx = scaler(panel.x.scale, xs, plot.left, plot.right);
  const sy = scaler(panel.y.scale, ys, plot.bottom, plot.top);
  const out = [`<g>`];
  out.push(
    `<text x="${(plot.left + plot.right) / 2}" y="${y0 + 18}" text-anchor="middle" font-weight="600">${esc(panel.title)}</text>`,
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#999"/>`,
  );
  for (const t of panel.y.ticks ?? ticks(panel.y.scale, ys)) {
    const y = sy(t);
    out.push(
      `<line x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${plot.left - 6}" y="${y + 4}" text-anchor="end" fill="#333">${tickLabel(t)}</text>`,
    );
  }
  for (const t of panel.x.ticks ?? ticks(panel.x.scale, xs)) {
    const x = sx(t);
    out.push(
      `<line x1="${x}" y1="${plot.top}" x2="${x}" y2="${plot.bottom}" stroke="#eeeeee"/>`,
      `<text x="${x}" y="${plot.bottom + 16}" text-anchor="middle" fill="#333">${tickLabel(t)}</text>`,
    );
  }
  out.push(
    `<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 34}" text-anchor="middle" fill="#333">${esc(panel.x.label)}</text>`,
    `<text transform="translate(${x0 + 14} ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(panel.y.label)}</text>`,
  );
  for (const v of panel.vlines ?? []) {
    const x = sx(v.x);
    out.push(
      `<line x1="${x}" y1="${plot.top}" x2="${x}" y2="${plot.bottom}" stroke="#555" stroke-dasharray="2 3"/>`,
      `<text x="${x + 4}" y="${plot.top + 12}" fill="#555">${esc(v.label)}</text>`,
    );
  }
  for (const s of panel.series) {
    for (const run of segments(s.points)) {
      const d = run.map((p) => `${round(sx(p[0]))},${round(sy(p[1]))}`).join(' ');
      out.push(
        `<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${dashAttr(s.dash)}/>`,
      );
      if (s.marker) for (const p of run) out.push(marker(s.marker, sx(p[0]), sy(p[1]), s.color));
    }
  }
  out.push('</g>');
  return out.join('\n');
}

function segments(points) {
  const runs = [];
  let run = [];
  for (const p of points) {
    if (isNum(p[0]) && isNum(p[1])) run.push(p);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function axisRange(axis, values) {
  let min = axis.min ?? Math.min(...values);
  let max = axis.max ?? Math.max(...values);
  if (!isNum(min) || !isNum(max)) return [axis.scale === 'log' ? 1 : 0, 1];
  if (axis.scale === 'log') {
    min = axis.min ?? 10 ** Math.floor(Math.log10(Math.max(min, 1e-9)));
    max = axis.max ?? 10 ** Math.ceil(Math.log10(Math.max(max, min * 10)));
    return [min, max];
  }
  if (min === max) max = min + 1;
  const step = niceStep((max - min) / 5);
  return [axis.min ?? Math.floor(min / step) * step, axis.max ?? Math.ceil(max / step) * step];
}

function scaler(kind, [min, max], from, to) {
  if (kind === 'log') {
    const a = Math.log10(min);
    const b = Math.log10(max);
    return (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from);
  }
  return (v) => from + ((v - min) / (max - min)) * (to - from);
}

function ticks(kind, [min, max]) {
  if (kind === 'log') {
    const out = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
      }
    }
    return out;
  }
  const step = niceStep((max - min) / 5);
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(round(v, 6));
  return out;
}

function niceStep(raw) {
  const e = 10 ** Math.floor(Math.log10(raw || 1));
  const f = raw / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
}

function tickLabel(v) {
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Number.isInteger(v)) return String(v);
  return String(round(v, 2));
}

function marker(kind, x, y, color) {
  if (kind === 'square') {
    return `<rect x="${round(x - 3.5)}" y="${round(y - 3.5)}" width="7" height="7" fill="#fff" stroke="${color}" stroke-width="1.5"/>`;
  }
  return `<circle cx="${round(x)}" cy="${round(y)}" r="3.5" fill="${color}"/>`;
}

function dashAttr(dash) {
  return dash ? ` stroke-dasharray="${dash}"` : '';
}

function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

function round(v, digits = 1) {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}

function esc(text) {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
