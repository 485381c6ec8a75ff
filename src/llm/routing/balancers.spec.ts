import type { LlmProvider } from '../core/llm-provider.port.js';
import type { ModelInfo } from '../registry/model-info.js';
import { createBalancer } from './balancers.js';
import { type RouteTarget, TargetStats } from './route-target.js';

function target(id: string, weight = 1): RouteTarget {
  return {
    id,
    provider: { id: 'openai' } as LlmProvider,
    model: 'gpt-4o-mini',
    weight,
    info: {} as ModelInfo,
    stats: new TargetStats(),
  };
}

const ids = (ts: readonly RouteTarget[]) => ts.map((t) => t.id);

function tally(picks: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) out[p] = (out[p] ?? 0) + 1;
  return out;
}

describe('balancers', () => {
  it('fallback keeps the configured order', () => {
    const ts = [target('a'), target('b'), target('c')];
    const order = createBalancer('fallback', ts);
    for (let i = 0; i < 3; i++) expect(ids(order())).toEqual(['a', 'b', 'c']);
  });

  describe('weighted (smooth weighted round-robin)', () => {
    it('splits exactly by weight over every full cycle, without bursts', () => {
      const order = createBalancer('weighted', [target('a', 5), target('b', 1), target('c', 1)]);
      const picks = Array.from({ length: 7 }, () => order()[0]?.id ?? '');
      // nginx's sequence for 5:1:1.
      expect(picks).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
      const more = Array.from({ length: 700 }, () => order()[0]?.id ?? '');
      expect(tally(more)).toEqual({ a: 500, b: 100, c: 100 });
    });

    it('gives 3:1 as 75/25 in every window of four calls', () => {
      const order = createBalancer('weighted', [target('a', 3), target('b', 1)]);
      for (let w = 0; w < 50; w++) {
        const window = Array.from({ length: 4 }, () => order()[0]?.id ?? '');
        expect(tally(window)).toEqual({ a: 3, b: 1 });
      }
    });

    it('lists every other target after the chosen one, heaviest first', () => {
      const order = createBalancer('weighted', [target('light', 1), target('heavy', 4), target('mid', 2)]);
      const seen = new Set<string>();
      for (let i = 0; i < 7; i++) {
        const o = ids(order());
        expect(o).toHaveLength(3);
        expect(new Set(o).size).toBe(3);
        const rest = o.slice(1);
        const byWeight = ['heavy', 'mid', 'light'].filter((id) => id !== o[0]);
        expect(rest).toEqual(byWeight);
        seen.add(o[0] ?? '');
      }
      expect(seen).toEqual(new Set(['light', 'heavy', 'mid']));
    });
  });

  describe('least-busy', () => {
    it('puts the target with the fewest calls in flight first', () => {
      const ts = [target('a'), target('b'), target('c')];
      const order = createBalancer('least-busy', ts);
      ts[0].stats.inFlight = 3;
      ts[1].stats.inFlight = 1;
      ts[2].stats.inFlight = 2;
      for (let i = 0; i < 4; i++) expect(ids(order())).toEqual(['b', 'c', 'a']);
    });

    it('rotates among idle targets', () => {
      const order = createBalancer('least-busy', [target('a'), target('b'), target('c')]);
      const firsts = Array.from({ length: 6 }, () => order()[0]?.id);
      expect(firsts).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    });
  });

  describe('latency', () => {
    it('tries targets without a sample first, then the lowest average', () => {
      const ts = [target('slow'), target('fast'), target('new')];
      const order = createBalancer('latency', ts);
      ts[0].stats.observeFirstByte(150);
      ts[1].stats.observeFirstByte(5);
      expect(ids(order())).toEqual(['new', 'fast', 'slow']);
      ts[2].stats.observeFirstByte(50);
      expect(ids(order())).toEqual(['fast', 'new', 'slow']);
    });

    it('sends one call in twenty to the runner-up so its estimate stays current', () => {
      const ts = [target('slow'), target('fast')];
      ts[0].stats.observeFirstByte(150);
      ts[1].stats.observeFirstByte(5);
      const order = createBalancer('latency', ts);
      const firsts = Array.from({ length: 100 }, () => order()[0]?.id ?? '');
      expect(tally(firsts)).toEqual({ fast: 95, slow: 5 });
    });

    it('follows the moving average (EWMA) as a target slows down', () => {
      const ts = [target('a'), target('b')];
      ts[0].stats.observeFirstByte(10);
      ts[1].stats.observeFirstByte(40);
      const order = createBalancer('latency', ts);
      expect(order()[0]?.id).toBe('a');
      for (let i = 0; i < 10; i++) ts[0].stats.observeFirstByte(200);
      expect(ts[0].stats.ewmaMs).toBeGreaterThan(150);
      expect(order()[0]?.id).toBe('b');
    });
  });
});
