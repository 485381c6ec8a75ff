// Trend checks of the soak's samples: least-squares slopes after the warm-up and the criteria that
// fail the run (documented in bench/results/soak.md by bench/soak/run.mjs).

/** Heap: fail only when all three hold (a GC sawtooth alone meets at most one or two). */
export const HEAP_CRITERIA = {
  slopeMbPerMin: 1,
  fittedGrowthPct: 20,
  quarterMedianGrowthPct: 10,
};

/**
 * Counts (sockets, connections, handles): growth without bound shows as a rising floor. Fail when
 * the fitted rise over the measured window exceeds `tolerance` AND the lowest value of the last
 * quarter is above the highest of the first quarter; or when a known hard bound is exceeded.
 */
export const COUNT_TOLERANCE = {
  upstreamSockets: 4,
  pgConnections: 2,
  redisConnections: 2,
  activeHandles: 10,
};

/** Least squares y = a + b·x over points with finite x and y; b per unit of x. */
export function leastSquares(points) {
  const pts = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const n = pts.length;
  if (n < 3) return null;
  const mx = pts.reduce((s, [x]) => s + x, 0) / n;
  const my = pts.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of pts) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { n, slope, intercept, r2, x0: pts[0][0], x1: pts[n - 1][0] };
}

function quarters(values) {
  const q = Math.max(1, Math.floor(values.length / 4));
  return { first: values.slice(0, q), last: values.slice(values.length - q) };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const r2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

/** Heap (or RSS) trend over samples `[{ tMin, value }]` of the measured window. */
export function heapTrend(samples, criteria = HEAP_CRITERIA) {
  const fit = leastSquares(samples.map((s) => [s.tMin, s.value]));
  const values = samples.map((s) => s.value).filter(Number.isFinite);
  if (!fit || values.length < 4) return { enough: false, growing: false };
  const start = fit.intercept + fit.slope * fit.x0;
  const end = fit.intercept + fit.slope * fit.x1;
  const fittedGrowthPct = start > 0 ? ((end - start) / start) * 100 : null;
  const { first, last } = quarters(values);
  const quarterMedianGrowthPct = ((median(last) - median(first)) / median(first)) * 100;
  const tests = {
    slope: fit.slope > criteria.slopeMbPerMin,
    fittedGrowth: fittedGrowthPct > criteria.fittedGrowthPct,
    quarterMedians: quarterMedianGrowthPct > criteria.quarterMedianGrowthPct,
  };
  return {
    enough: true,
    slopeMbPerMin: r2(fit.slope),
    r2: r2(fit.r2),
    fittedStartMb: r2(start),
    fittedEndMb: r2(end),
    fittedGrowthPct: r2(fittedGrowthPct),
    quarterMedianGrowthPct: r2(quarterMedianGrowthPct),
    tests,
    growing: tests.slope && tests.fittedGrowth && tests.quarterMedians,
    fit: { slope: fit.slope, intercept: fit.intercept, x0: fit.x0, x1: fit.x1 },
  };
}

/** Count trend (sockets, connections, handles) over `[{ tMin, value }]`; `bound` is a hard ceiling. */
export function countTrend(samples, tolerance, bound = null) {
  const values = samples.map((s) => s.value).filter(Number.isFinite);
  const fit = leastSquares(samples.map((s) => [s.tMin, s.value]));
  if (!fit || values.length < 4) return { enough: false, growing: false, overBound: false };
  const rise = fit.slope * (fit.x1 - fit.x0);
  const { first, last } = quarters(values);
  const floorRose = Math.min(...last) > Math.max(...first);
  const max = Math.max(...values);
  const overBound = bound !== null && max > bound;
  return {
    enough: true,
    slopePerMin: r2(fit.slope),
    fittedRise: r2(rise),
    tolerance,
    firstQuarterMax: Math.max(...first),
    lastQuarterMin: Math.min(...last),
    floorRose,
    max,
    bound,
    overBound,
    growing: rise > tolerance && floorRose,
    fit: { slope: fit.slope, intercept: fit.intercept, x0: fit.x0, x1: fit.x1 },
  };
}
