// Derived numbers, target checks and the markdown rendering of the gateway suite's results.
import { round3 } from './load.mjs';

/** CPU 0 busy beyond the target's own share: above this, other processes disturbed the cell. */
export const FOREIGN_CPU0_LIMIT = 0.15;

export const TARGETS = {
  addedP50AtC1Ms: 0.5,
  addedP50AtC50Ms: 1,
  addedP99AtC50Ratio: 2,
  // Direct and floor run at different moments, so the floor's added p99 can come out at or below
  // zero; a ratio against that would mean nothing, so it counts as at least this much.
  addedP99FloorMinMs: 1,
  saturationShare: 0.5,
  rssMb: 200,
};

/** Adds `added` (target minus the direct fake, same mode and concurrency) to every loaded row. */
export function withAddedLatency(rows) {
  return rows.map((row) => {
    const direct = findRow(rows, row.mode, row.connections, 'direct');
    if (!direct || row.target === 'direct') return { ...row, added: null };
    return {
      ...row,
      added: {
        p50: round3(row.latency.p50 - direct.latency.p50),
        p99: round3(row.latency.p99 - direct.latency.p99),
      },
    };
  });
}

export function findRow(rows, mode, connections, target) {
  return rows.find((r) => r.mode === mode && r.connections === connections && r.target === target);
}

/** The PASS/FAIL list; a missing measurement is a FAIL that says so. */
export function evaluateTargets({ loaded, saturation, memory, modes }) {
  const checks = [];
  for (const mode of modes) {
    checks.push(addedP50Check(loaded, mode, 1, TARGETS.addedP50AtC1Ms));
    checks.push(addedP50Check(loaded, mode, 50, TARGETS.addedP50AtC50Ms));
    checks.push(addedP99Check(loaded, mode, 50));
    checks.push(saturationCheck(saturation, mode));
  }
  const rss = memory.gatewayPeakMb;
  checks.push({
    name: `gateway RSS peak < ${TARGETS.rssMb} MB`,
    pass: rss < TARGETS.rssMb,
    detail: `${fmt1(rss)} MB (VmHWM ${fmt1(memory.gatewayHwmMb)} MB)`,
  });
  return checks;
}

function addedP50Check(rows, mode, connections, slackMs) {
  const name = `${mode} c${connections}: gateway added p50 within ${slackMs} ms of the floor's`;
  const [gw, floor] = ['gateway', 'floor'].map((t) => findRow(rows, mode, connections, t)?.added);
  if (!gw || !floor) return { name, pass: false, detail: 'not measured' };
  const diff = gw.p50 - floor.p50;
  return {
    name,
    pass: diff <= slackMs,
    detail: `gateway ${signed3(gw.p50)} ms, floor ${signed3(floor.p50)} ms (difference ${fmt3(diff)} ms)`,
  };
}

function addedP99Check(rows, mode, connections) {
  const ratio = TARGETS.addedP99AtC50Ratio;
  const name = `${mode} c${connections}: gateway added p99 within ${ratio}x the floor's`;
  const [gw, floor] = ['gateway', 'floor'].map((t) => findRow(rows, mode, connections, t)?.added);
  if (!gw || !floor) return { name, pass: false, detail: 'not measured' };
  const base = Math.max(floor.p99, TARGETS.addedP99FloorMinMs);
  const clamped = base > floor.p99 ? `, taken as ${fmt3(base)} ms` : '';
  return {
    name,
    pass: gw.p99 <= ratio * base,
    detail: `gateway ${signed3(gw.p99)} ms, floor ${signed3(floor.p99)} ms${clamped} (${ratioText(gw.p99, base)})`,
  };
}

function saturationCheck(rows, mode) {
  const share = TARGETS.saturationShare;
  const name = `${mode} saturation: gateway req/s >= ${share}x the floor's`;
  const [gw, floor] = ['gateway', 'floor'].map((t) => rows.find((r) => r.mode === mode && r.target === t));
  if (!gw || !floor) return { name, pass: false, detail: 'not measured' };
  const [gwCap, floorCap] = [gw, floor].map((r) => 1e6 / r.cpu.targetUsPerReq);
  const capped = floor.cpu.fakePlusClient >= 0.95 ? '; the floor was held back by CPU 1 (fake + client)' : '';
  return {
    name,
    pass: gw.reqPerSec >= share * floor.reqPerSec,
    detail:
      `gateway ${fmt0(gw.reqPerSec)} req/s, floor ${fmt0(floor.reqPerSec)} req/s ` +
      `(${ratioText(gw.reqPerSec, floor.reqPerSec)}); per CPU-second ${fmt0(gwCap)} vs ${fmt0(floorCap)} ` +
      `(${ratioText(gwCap, floorCap)})${capped}`,
  };
}

export function checkLines(checks) {
  return checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
}

export function renderLoadedTable(loaded, ttfb) {
  const lines = [
    '| mode | conc. | target | req/s | p50 ms | p99 ms | added p50 | added p99 | TTFB p50 / p99 ms | target CPU | CPU µs/req | CPU 0 busy |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of loaded) {
    const t = ttfb.find(
      (x) => x.mode === row.mode && x.connections === row.connections && x.target === row.target,
    );
    lines.push(
      `| ${row.mode} | ${row.connections} | ${row.target}${noisyMark(row)} | ${fmt0(row.reqPerSec)} | ` +
        `${fmt2(row.latency.p50)} | ${fmt2(row.latency.p99)} | ${signed(row.added?.p50)} | ` +
        `${signed(row.added?.p99)} | ${t ? `${fmt2(t.firstByte.p50)} / ${fmt2(t.firstByte.p99)}` : '–'} | ` +
        `${pct(row.cpu.target)} | ${fmt0(row.cpu.targetUsPerReq)} | ${pct(row.cpu.cpu0)} |`,
    );
  }
  return lines.join('\n');
}

export function renderSaturationTable(rows) {
  const lines = [
    '| mode | target | req/s | p50 ms | p99 ms | target CPU | CPU µs/req | CPU 0 busy | fake + client CPU |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.mode} | ${row.target}${noisyMark(row)} | ${fmt0(row.reqPerSec)} | ${fmt2(row.latency.p50)} | ` +
        `${fmt2(row.latency.p99)} | ${pct(row.cpu.target)} | ${fmt0(row.cpu.targetUsPerReq)} | ` +
        `${pct(row.cpu.cpu0)} | ${pct(row.cpu.fakePlusClient)} |`,
    );
  }
  return lines.join('\n');
}

export function renderMarkdown(r) {
  const c = r.config;
  const failures = [...r.loaded, ...r.saturation].reduce((n, x) => n + x.errors + x.timeouts + x.non2xx, 0);
  return [
    '# Gateway overhead benchmark',
    '',
    `${r.date} · Node ${r.node} · ${r.machine.cpus} CPUs (${r.machine.cpuModel}) · ` +
      `commit ${r.git ?? 'unknown'} · autocannon ${r.packages.autocannon}, undici ${r.packages.undici}`,
    '',
    `Three targets serve the same chat completion (\`${c.userMessage}\`, ` +
      `${c.modes.join(' and ')}): **direct** = the OpenAI fake upstream (test/support/fakes) with ` +
      `${c.upstreamLatencyMs} ms before headers; **gateway** = \`dist/src/main.js\` (embedded PGlite, ` +
      `LOG_LEVEL=${c.gatewayEnv.LOG_LEVEL}, cache off, no admin key, ` +
      `UPSTREAM_POOL_CONNECTIONS=${c.gatewayEnv.UPSTREAM_POOL_CONNECTIONS}); **floor** = a bare ` +
      'node:http + undici Pool proxy that parses and re-serialises the JSON (bench/gateway/floor.mjs). ' +
      `Gateway and floor pinned to CPU ${c.serverCpu}; fake and load generator pinned to CPU ${c.clientCpu}. ` +
      `Each cell: ${c.warmupSeconds} s warm-up, then ${c.seconds} s of autocannon at a fixed number of ` +
      'connections; latencies are exact (float ms from autocannon response events). Targets are ' +
      'measured back to back per row group, gateway and floor order alternating. ' +
      `TTFB = first body byte of a streamed response, from a separate undici loop (${c.ttfbSeconds} s) ` +
      "run right after the autocannon cell: compare it across targets, not with that row's p50. " +
      '"added" = target minus direct at the same mode and concurrency. ' +
      'CPU = utime+stime of the target process / wall time (100% = one core); ' +
      'CPU µs/req = its CPU time per completed request; CPU 0 busy = the whole core from /proc/stat ' +
      '(well above target CPU = other processes ran there too). Gateway requests carry no API key ' +
      '(auth off on loopback); the fake gets `Bearer sk-bench`.',
    '',
    `## Upstream ${c.upstreamLatencyMs} ms before headers`,
    '',
    renderLoadedTable(r.loaded, r.ttfb),
    '',
    `## Saturation: upstream 0 ms, ${c.saturationConnections} connections`,
    '',
    renderSaturationTable(r.saturation),
    '',
    '## Memory',
    '',
    `Gateway RSS after boot ${fmt1(r.memory.gatewayBootMb)} MB, peak sampled ${fmt1(r.memory.gatewayPeakMb)} MB ` +
      `(kernel VmHWM ${fmt1(r.memory.gatewayHwmMb)} MB); floor peak ${fmt1(r.memory.floorPeakMb)} MB. ` +
      `The very first boot, which creates the embedded database (initdb), peaks at ` +
      `${fmt1(r.memory.gatewayFirstBootMb)} MB; the run uses a second boot on that data dir, as after any restart.`,
    '',
    '## Targets',
    '',
    '```',
    ...checkLines(r.targets),
    '```',
    '',
    `⚠ = CPU 0 was more than ${Math.round(FOREIGN_CPU0_LIMIT * 100)}% busy with other work during that cell ` +
      '(other processes on the host); its numbers are pessimistic for the target pinned there. ' +
      `Errors + timeouts + non-2xx across all autocannon runs: ${failures}. Load average before/after: ` +
      `${r.machine.loadAvgBefore.join(' ')} / ${r.machine.loadAvgAfter.join(' ')}. ` +
      `Suite wall time ${r.durationSeconds} s.`,
    '',
    'Rerun: `npm run build && node bench/run.mjs gateway` (raw numbers in `gateway.json`).',
    '',
  ].join('\n');
}

/** Share of CPU 0 used by others during the cell (the direct fake runs on CPU 1). */
export function foreignCpu0(row) {
  if (row.cpu.cpu0 === null) return null;
  const own = row.target === 'direct' ? 0 : row.cpu.target;
  return Math.max(0, Math.round((row.cpu.cpu0 - own) * 100) / 100);
}

function noisyMark(row) {
  return foreignCpu0(row) > FOREIGN_CPU0_LIMIT ? ' ⚠' : '';
}

function ratioText(a, b) {
  return b > 0 ? `${(a / b).toFixed(2)}x` : 'floor <= 0';
}

function signed(x) {
  if (x === null || x === undefined) return '–';
  return `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
}

function signed3(x) {
  return Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(3)}` : '–';
}

function pct(x) {
  return Number.isFinite(x) ? `${Math.round(x * 100)}%` : '–';
}

function fmt0(n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

function fmt1(n) {
  return Number.isFinite(n) ? n.toFixed(1) : '–';
}

function fmt2(n) {
  return Number.isFinite(n) ? n.toFixed(2) : '–';
}

function fmt3(n) {
  return Number.isFinite(n) ? n.toFixed(3) : '–';
}
