/**
 * Renders the peers results as a small SVG: one panel per metric, a group of bars per workload,
 * one bar per contender, each labelled with its value. Wrong results are hatched and marked.
 */
import type { BenchRow } from '../results.js';

interface Panel {
  readonly metric: string;
  readonly title: string;
  readonly format: (value: number) => string;
}

const panels: readonly Panel[] = [
  { metric: 'eventsPerSec', title: 'Throughput (events/s, higher is better)', format: (v) => Math.round(v).toLocaleString('en-US') },
  { metric: 'p99Ms', title: 'Latency p99 at a fixed rate (ms, lower is better)', format: (v) => v.toFixed(v < 10 ? 1 : 0) },
  { metric: 'rssMB', title: 'Peak RSS of the worker (MiB, lower is better)', format: (v) => v.toFixed(0) },
];

const colors: Record<string, string> = { mephisto: '#7b2cbf', faust: '#2a9d8f', 'raw-kafkajs': '#e76f51' };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderChart(rows: readonly BenchRow[], contenders: readonly string[], workloads: readonly string[], subtitle: string): string {
  const value = (contender: string, workload: string, metric: string) =>
    rows.find((r) => r.case === `${contender}/${workload}` && r.metric === metric)?.value;
  const panelWidth = 330;
  const panelHeight = 250;
  const top = 70;
  const width = panelWidth * panels.length + 40;
  const height = top + panelHeight + 70;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<defs><pattern id="wrong" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#999"/></pattern></defs>',
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="20" y="28" font-size="18" font-weight="bold">mephisto vs Faust vs raw kafkajs, same broker, same input</text>`,
    `<text x="20" y="48" font-size="12" fill="#555">${escape(subtitle)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const x0 = 20 + index * panelWidth;
    const plotTop = top + 30;
    const plotHeight = panelHeight - 60;
    const values = workloads.flatMap((w) => contenders.map((c) => value(c, w, panel.metric) ?? 0));
    const max = Math.max(1, ...values.filter(Number.isFinite));
    parts.push(`<text x="${x0}" y="${top + 10}" font-size="13" font-weight="bold">${escape(panel.title)}</text>`);
    parts.push(`<line x1="${x0}" y1="${plotTop + plotHeight}" x2="${x0 + panelWidth - 30}" y2="${plotTop + plotHeight}" stroke="#333"/>`);
    const groupWidth = (panelWidth - 30) / workloads.length;
    const barWidth = Math.min(40, (groupWidth - 20) / contenders.length);
    workloads.forEach((workload, g) => {
      const gx = x0 + g * groupWidth + (groupWidth - barWidth * contenders.length) / 2;
      contenders.forEach((contender, b) => {
        const v = value(contender, workload, panel.metric);
        const correct = value(contender, workload, 'correct') !== 0;
        const x = gx + b * barWidth;
        if (v === undefined || !Number.isFinite(v)) {
          parts.push(`<text x="${x + barWidth / 2}" y="${plotTop + plotHeight - 4}" font-size="10" text-anchor="middle">n/a</text>`);
          return;
        }
        const h = Math.max(1, (v / max) * plotHeight);
        const y = plotTop + plotHeight - h;
        parts.push(`<rect x="${x + 2}" y="${y}" width="${barWidth - 4}" height="${h}" fill="${correct ? colors[contender] ?? '#888' : 'url(#wrong)'}"><title>${escape(`${contender}/${workload}: ${panel.format(v)}${correct ? '' : ' (WRONG output)'}`)}</title></rect>`);
        parts.push(`<text x="${x + barWidth / 2}" y="${y - 4}" font-size="10" text-anchor="middle">${escape(panel.format(v))}${correct ? '' : ' ✗'}</text>`);
      });
      parts.push(`<text x="${x0 + g * groupWidth + groupWidth / 2}" y="${plotTop + plotHeight + 18}" font-size="12" text-anchor="middle">${escape(workload)}</text>`);
    });
  });
  const legendY = height - 22;
  contenders.forEach((contender, i) => {
    const x = 20 + i * 150;
    parts.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${colors[contender] ?? '#888'}"/>`);
    parts.push(`<text x="${x + 18}" y="${legendY}" font-size="12">${escape(contender)}</text>`);
  });
  parts.push(`<text x="${20 + contenders.length * 150}" y="${legendY}" font-size="12" fill="#555">hatched ✗ = output counts wrong</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
