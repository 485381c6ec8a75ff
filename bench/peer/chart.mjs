// bench/results/peer-latency.svg: p50 (solid) and p99 (dashed) latency against concurrency, one
// line per target, a panel per mode (log–log axes).
import { chartDocument, PALETTE } from '../shared/svg.mjs';

const LABEL = { direct: 'direct (fake)', floor: 'floor (undici)', gateway: 'gateway', portkey: 'Portkey' };
const COLOR = { direct: PALETTE[7], floor: PALETTE[2], gateway: PALETTE[0], portkey: PALETTE[1] };

export function latencyChartSvg(report) {
  const { modes, concurrencies, targets, upstreamLatencyMs } = report.config;
  const panels = modes.map((mode) => {
    const series = targets.flatMap((t) => {
      const points = (q) =>
        concurrencies.map((c) => {
          const cell = report.cells.find(
            (x) => x.phase === 'loaded' && x.mode === mode && x.connections === c && x.target === t,
          );
          return [c, cell?.latency[q] ?? null];
        });
      return [
        { color: COLOR[t], marker: 'circle', points: points('p50') },
        { color: COLOR[t], marker: 'square', dash: '6 4', points: points('p99') },
      ];
    });
    return {
      title: mode === 'json' ? 'JSON (non-streamed)' : 'Streamed (SSE), whole stream',
      x: { label: 'concurrent connections', scale: 'log', min: 5, max: 2000, ticks: concurrencies },
      y: { label: 'latency, ms (log)', scale: 'log' },
      series,
    };
  });
  const legend = [
    ...targets.map((t) => ({ name: LABEL[t], color: COLOR[t] })),
    { name: 'p50', color: '#444', marker: 'circle' },
    { name: 'p99', color: '#444', dash: '6 4', marker: 'square' },
  ];
  return chartDocument({
    title: 'Latency against concurrency: fake direct, undici floor, this gateway, Portkey',
    subtitle: `upstream ${upstreamLatencyMs} ms before headers · ${report.date.slice(0, 10)} · commit ${report.git}`,
    panels,
    columns: panels.length,
    panelWidth: 480,
    panelHeight: 360,
    legend,
  });
}
