// bench/results/soak.svg: the soak's samples over time in three stacked panels (memory; sockets and
// connections; handles and open streams), the end of the warm-up marked and the fitted heap line
// drawn over the measured window.
import { chartDocument, PALETTE } from '../shared/svg.mjs';

export function soakChartSvg(report) {
  const all = [...report.samples, ...(report.settled?.samples ?? [])];
  const at = (key) => all.map((s) => [s.tMin, s[key]]);
  const warmupMin = report.config.warmupSeconds / 60;
  const loadEndMin = report.config.loadSeconds / 60;
  const vlines = [
    { x: warmupMin, label: 'warm-up ends' },
    { x: loadEndMin, label: 'load stops' },
  ];
  const x = { label: 'minutes since the load started', scale: 'linear', min: 0 };
  const fit = report.analysis.heap.fit;
  const fitted = fit
    ? [
        [fit.x0, fit.intercept + fit.slope * fit.x0],
        [fit.x1, fit.intercept + fit.slope * fit.x1],
      ]
    : [];
  const panels = [
    {
      title: 'Memory',
      x,
      y: { label: 'MB', scale: 'linear', min: 0 },
      vlines,
      series: [
        { color: PALETTE[0], points: at('rssMb') },
        { color: PALETTE[1], points: at('heapUsedMb') },
        { color: PALETTE[7], dash: '6 4', width: 1.5, points: fitted },
      ],
    },
    {
      title: 'Sockets and connections of the gateway',
      x,
      y: { label: 'count', scale: 'linear', min: 0 },
      vlines,
      series: [
        { color: PALETTE[2], points: at('upstreamSockets') },
        { color: PALETTE[3], points: at('pgConnections') },
        { color: PALETTE[4], points: at('redisConnections') },
      ],
    },
    {
      title: 'Handles, open streams and WebSockets',
      x,
      y: { label: 'count', scale: 'linear', min: 0 },
      vlines,
      series: [
        { color: PALETTE[5], points: at('activeHandles') },
        { color: PALETTE[6], points: at('openStreams') },
        { color: PALETTE[8], points: at('openWebSockets') },
      ],
    },
  ];
  const legend = [
    { name: 'RSS', color: PALETTE[0] },
    { name: 'V8 heap used', color: PALETTE[1] },
    { name: 'heap fit (after warm-up)', color: PALETTE[7], dash: '6 4' },
    { name: 'upstream sockets', color: PALETTE[2] },
    { name: 'Postgres connections', color: PALETTE[3] },
    { name: 'Redis connections', color: PALETTE[4] },
    { name: 'active handles', color: PALETTE[5] },
    { name: 'open streams', color: PALETTE[6] },
    { name: 'open WebSockets', color: PALETTE[8] },
  ];
  const verdict = report.analysis.pass ? 'pass' : 'FAIL';
  return chartDocument({
    title: `Soak: ${report.config.minutes} min of mixed load (${verdict})`,
    subtitle: `heap ${report.analysis.heap.slopeMbPerMin} MB/min after the warm-up · ${report.date.slice(0, 16)} · commit ${report.git}`,
    panels,
    columns: 1,
    panelWidth: 900,
    panelHeight: 240,
    legend,
  });
}
