import { describe, expect, it } from 'vitest';
import { row, type BenchRow } from '../../bench/results.js';
import { renderChart } from '../../bench/peers/chart.js';

const contenders = ['mephisto', 'faust', 'raw-kafkajs'];
const workloads = ['stateless', 'count'];

function rows(wrong: string | undefined): BenchRow[] {
  return contenders.flatMap((c, i) =>
    workloads.flatMap((w) => [
      row('peers', `${c}/${w}`, 'eventsPerSec', 1000 * (i + 1), 'events/s'),
      row('peers', `${c}/${w}`, 'p99Ms', 10 * (i + 1), 'ms'),
      row('peers', `${c}/${w}`, 'rssMB', 100 * (i + 1), 'MiB'),
      row('peers', `${c}/${w}`, 'correct', `${c}/${w}` === wrong ? 0 : 1, 'bool'),
    ]),
  );
}

describe('peers chart', () => {
  it('draws one bar per contender, workload and metric, with its value', () => {
    const svg = renderChart(rows(undefined), contenders, workloads, 'test run');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(contenders.length * workloads.length * 3);
    expect(svg).toContain('mephisto/stateless: 1,000');
    expect(svg).toContain('raw-kafkajs/count: 3,000');
    expect(svg).not.toContain('WRONG');
  });

  it('marks a contender whose output was wrong', () => {
    const svg = renderChart(rows('faust/count'), contenders, workloads, 'test run');
    expect(svg).toContain('faust/count: 2,000 (WRONG output)');
    expect(svg.match(/fill="url\(#wrong\)"/g)).toHaveLength(3);
  });

  it('says n/a where a figure is missing', () => {
    const partial = rows(undefined).filter((r) => !(r.case === 'faust/stateless' && r.metric === 'p99Ms'));
    expect(renderChart(partial, contenders, workloads, 'test run')).toContain('>n/a<');
  });
});
