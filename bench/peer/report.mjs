// bench/results/peer.md from the report object built by bench/peer/run.mjs.

const LABEL = { direct: 'direct (fake)', floor: 'floor (undici)', gateway: 'gateway', portkey: 'Portkey' };
const fmt = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));
const int = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const signed = (x) => (x === null || x === undefined ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);
const ratioText = (x) => (x === null || x === undefined ? '–' : `${x.toFixed(2)}×`);

export function renderMarkdown(r) {
  const c = r.config;
  const m = r.machine;
  const lines = [
    '# Peer comparison: the fake direct, the undici floor, this gateway and Portkey',
    '',
    `Command: \`${r.command}\` · commit ${r.git} · ${r.date} · ${r.durationSeconds} s · Node ${r.node}`,
    `Machine: ${m.cpuModel}, ${m.cpus} CPUs, ${m.totalMemMb} MB; load average before ${m.loadAvgBefore.join(' ')}, ` +
      `after ${m.loadAvgAfter.join(' ')} (other work on the machine shows up as noise)`,
    `Packages: ${Object.entries(r.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
    `Every target answers the same chat completion from the same OpenAI fake (${c.upstreamLatencyMs} ms before its ` +
      `headers; the streamed answer is ${c.userMessage.split(' ').length + 1} deltas). Targets run on CPU ${c.serverCpu}, ` +
      `the fake and the load generator on CPU ${c.clientCpu}. Each cell: one autocannon run per target, ` +
      `${c.timing.c10to200.warmup} s of warm-up (${c.timing.c1000.warmup} s at c1000) on the same connections, then ` +
      `${c.timing.c10to200.seconds} s measured; ${c.rounds} rounds with the target order rotated; req/s is the mean of the rounds, percentiles pool ` +
      `both rounds' latencies. "added" = target minus direct at the same concurrency. CPU is the target's process ` +
      `tree (the gateway's embedded PostgreSQL child included) in cores busy; RSS is the tree's peak. Saturation: the ` +
      `fake answers at once and ${c.saturationConnections} connections hammer each target, so the single server core ` +
      `(or the load generator's) is the limit.`,
    '',
    '## Headline',
    '',
    ...headlineTable(r),
    '',
    ...r.headline.lines.map((l) => `- ${l}`),
    '',
    `Failures over the whole run (non-2xx, errors, timeouts, TTFB-loop failures): ${Object.entries(
      r.headline.failuresTotal,
    )
      .map(([t, n]) => `${LABEL[t]} ${n}`)
      .join(', ')}.`,
    '',
    '![p50 and p99 latency against concurrency](peer-latency.svg)',
    '',
    `## Latency-bound load (upstream ${c.upstreamLatencyMs} ms)`,
    '',
    '| mode | conc. | target | req/s | p50 ms | p90 ms | p99 ms | added p50 | added p99 | failed | CPU cores | CPU µs/req | peak RSS MB |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const mode of c.modes) {
    for (const conc of c.concurrencies) {
      const direct = find(r.cells, 'loaded', mode, conc, 'direct');
      for (const t of c.targets) {
        const x = find(r.cells, 'loaded', mode, conc, t);
        if (!x) continue;
        const added = (q) => (t === 'direct' ? null : x.latency[q] - direct.latency[q]);
        lines.push(
          `| ${mode} | ${conc} | ${LABEL[t]} | ${int(x.reqPerSec)} | ${fmt(x.latency.p50)} | ${fmt(x.latency.p90)} | ` +
            `${fmt(x.latency.p99)} | ${signed(added('p50'))} | ${signed(added('p99'))} | ${failedText(x)} | ` +
            `${fmt(x.cpuCores)} | ${int(x.cpuUsPerReq)} | ${fmt(x.rssPeakMb, 0)} |`,
        );
      }
    }
  }
  lines.push(
    '',
    '## Time to first byte, streamed (undici loop, one request at a time per connection)',
    '',
    '| conc. | target | first byte p50 ms | p90 ms | p99 ms | whole stream p50 ms | p99 ms | requests | failed |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const conc of c.concurrencies) {
    for (const t of c.targets) {
      const x = r.ttfb.find((y) => y.connections === conc && y.target === t);
      if (!x) continue;
      lines.push(
        `| ${conc} | ${LABEL[t]} | ${fmt(x.firstByte.p50)} | ${fmt(x.firstByte.p90)} | ${fmt(x.firstByte.p99)} | ` +
          `${fmt(x.total.p50)} | ${fmt(x.total.p99)} | ${int(x.requests)} | ${x.failures} |`,
      );
    }
  }
  lines.push(
    '',
    `## Saturation (upstream 0 ms, ${c.saturationConnections} connections)`,
    '',
    '| mode | target | req/s (per round) | p50 ms | p99 ms | failed | CPU cores | CPU µs/req | CPU 0 busy | CPU 1 busy | peak RSS MB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const mode of c.modes) {
    for (const t of c.targets) {
      const x = find(r.cells, 'saturation', mode, c.saturationConnections, t);
      if (!x) continue;
      lines.push(
        `| ${mode} | ${LABEL[t]} | ${int(x.reqPerSec)} (${x.reqPerSecByRound.map(int).join(', ')}) | ` +
          `${fmt(x.latency.p50)} | ${fmt(x.latency.p99)} | ${failedText(x)} | ${fmt(x.cpuCores)} | ` +
          `${int(x.cpuUsPerReq)} | ${fmt(x.cpu0Busy)} | ${fmt(x.cpu1Busy)} | ${fmt(x.rssPeakMb, 0)} |`,
      );
    }
  }
  lines.push(
    '',
    '## Memory (MB; "tree" adds child processes: the gateway forks its embedded PostgreSQL)',
    '',
    '| target | after boot, main | after boot, tree | peak under load, main | peak under load, tree | at the end, tree |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const t of c.targets) {
    lines.push(
      `| ${LABEL[t]} | ${fmt(r.memory.bootRss[t]?.mainMb, 0)} | ${fmt(r.memory.bootRss[t]?.treeMb, 0)} | ` +
        `${fmt(r.memory.peakMainRssMb?.[t], 0)} | ${fmt(r.memory.peakTreeRssMb[t], 0)} | ${fmt(r.memory.endRss[t]?.treeMb, 0)} |`,
    );
  }
  const failing = r.cells.filter((x) => x.failed > 0);
  lines.push('', '## Failures', '');
  if (failing.length === 0) lines.push('None: every response of every cell was a 2xx.');
  for (const x of failing) {
    lines.push(
      `- ${x.phase} ${x.mode} c${x.connections} ${LABEL[x.target]}: ${x.failures.non2xx} non-2xx, ${x.failures.errors} ` +
        `errors, ${x.failures.timeouts} timeouts; statuses ${JSON.stringify(x.statuses)}`,
    );
  }
  lines.push(
    '',
    '## Notes',
    '',
    '- Portkey runs as published (`build/start-server.js`, headless) with `bench/peer/portkey-shim.mjs` preloaded: ' +
      'it binds to 127.0.0.1 (the start script listens on every interface) and hands Portkey fetch responses with ' +
      'mutable headers. Without the latter, every streamed completion fails with `TypeError: immutable` and a 500 ' +
      '("Something went wrong"), because the @hono/node-server that npm resolves for it is newer than the one its ' +
      'repository patches; its postinstall (`patch-package`) did not run here and has no patch for that version anyway.',
    "- Portkey's stream reader waits 25 ms before forwarding the first event of every stream (a fixed " +
      '`setTimeout(…, 25)` in its `readStream`), which shows in its time to first byte and stream latency.',
    '- The floor is the least a JSON-aware Node proxy can do (no auth, routing, limits, metrics, usage records); the ' +
      'gateway does all of those with auth off and the cache off, and writes usage records to its embedded database.',
    "- One run on a shared 2-core machine: compare targets within this run, not with another run's absolute figures.",
    '',
  );
  return lines.join('\n');
}

function headlineTable(r) {
  const h = r.headline.byMode;
  const rows = [
    '| mode | measure | direct | floor | gateway | Portkey | gateway ÷ Portkey | gateway ÷ floor |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const mode of r.config.modes) {
    const x = h[mode];
    const s = x.saturationReqPerSec;
    rows.push(
      `| ${mode} | req/s at saturation | ${int(s.direct)} | ${int(s.floor)} | ${int(s.gateway)} | ${int(s.portkey)} | ` +
        `${ratioText(x.gatewayVsPortkey.saturationThroughput)} | ${ratioText(x.gatewayVsFloor.saturationThroughput)} |`,
    );
    const k = x.c1000ReqPerSec;
    rows.push(
      `| ${mode} | req/s at c1000 (20 ms upstream) | ${int(k.direct)} | ${int(k.floor)} | ${int(k.gateway)} | ` +
        `${int(k.portkey)} | ${ratioText(x.gatewayVsPortkey.c1000Throughput)} | ${ratioText(x.gatewayVsFloor.c1000Throughput)} |`,
    );
    const a = x.addedAtC50Ms;
    rows.push(
      `| ${mode} | added p50 at c50, ms | – | ${signed(a.floor.p50)} | ${signed(a.gateway.p50)} | ${signed(a.portkey.p50)} | ` +
        `${diffText(a.gateway.p50, a.portkey.p50)} | ${diffText(a.gateway.p50, a.floor.p50)} |`,
    );
    rows.push(
      `| ${mode} | added p99 at c50, ms | – | ${signed(a.floor.p99)} | ${signed(a.gateway.p99)} | ${signed(a.portkey.p99)} | ` +
        `${diffText(a.gateway.p99, a.portkey.p99)} | ${diffText(a.gateway.p99, a.floor.p99)} |`,
    );
    if (mode === 'stream') {
      const f = x.ttfbP50AtC50Ms;
      rows.push(
        `| ${mode} | first byte p50 at c50, ms | ${fmt(f.direct)} | ${fmt(f.floor)} | ${fmt(f.gateway)} | ${fmt(f.portkey)} | ` +
          `${diffText(f.gateway, f.portkey)} | ${diffText(f.gateway, f.floor)} |`,
      );
    }
  }
  rows.push('', 'Latency columns on the right are differences in ms (gateway minus the other), not ratios.');
  return rows;
}

function diffText(a, b) {
  return a === null || b === null || a === undefined || b === undefined ? '–' : `${signed(a - b)} ms`;
}

function failedText(x) {
  return x.failed === 0 ? '0' : `**${x.failed}**`;
}

function find(cells, phase, mode, connections, target) {
  return cells.find(
    (x) => x.phase === phase && x.mode === mode && x.connections === connections && x.target === target,
  );
}
