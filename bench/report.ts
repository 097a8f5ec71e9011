// Result tables (console and Markdown) and a hand-written SVG bar chart.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import type { BenchShape } from './shapes.js';
import { describe, flops } from './shapes.js';

export interface Engine {
  id: string;
  label: string;        // column header
  ours: boolean;
  color: string;
}

export type Cell =
  | { kind: 'time'; ms: number; mean: number; rme: number; samples: number; min?: number }
  | { kind: 'na'; why: string }
  | { kind: 'error'; why: string };

export interface ShapeResult {
  shape: BenchShape;
  cells: Record<string, Cell>;
  /** Operations of one multiply-add peak sample timed alongside this shape (cells.peak). */
  peakFlops?: number;
  /** Correctness of ours against onnxruntime-web on the same data. */
  check: { ok: boolean; text: string } | null;
}

export interface RunInfo {
  variant: string;
  oursThreads: number;
  stat: 'median';
  quick: boolean;
  versions: Record<string, string>;
  notes: string[];
}

export function gflops(s: BenchShape, ms: number): number { return flops(s) / (ms * 1e6); }

function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

function fmtGf(g: number): string { return g >= 10 ? g.toFixed(1) : g.toFixed(2); }

export function cellText(s: BenchShape, c: Cell | undefined): string {
  if (!c) return '-';
  if (c.kind === 'na') return 'n/a';
  if (c.kind === 'error') return 'error';
  return `${fmtMs(c.ms)} ms (${fmtGf(gflops(s, c.ms))})`;
}

/**
 * ours ÷ peer in GFLOP/s, i.e. peer time ÷ our time; > 1 means ours is faster. On the median
 * (the table) or, with `best`, on each engine's fastest call (less exposed to other load).
 */
export function ratio(ours: Cell | undefined, peer: Cell | undefined, best = false): number | null {
  if (!ours || !peer || ours.kind !== 'time' || peer.kind !== 'time') return null;
  if (best) return peer.min !== undefined && ours.min !== undefined ? peer.min / ours.min : null;
  return peer.ms / ours.ms;
}

function ratioText(r: number | null): string { return r === null ? 'n/a' : `${r.toFixed(2)}x`; }

export interface RatioColumn { label: string; ours: string; peer: string }

export function ratioColumns(engines: Engine[]): RatioColumn[] {
  if (!engines.some((e) => e.id === 'ours')) return [];
  const peers = engines.filter((e) => !e.ours);
  // Both our entry points against each peer: the functional call packs the weights every call,
  // the module packs them once (as an onnxruntime-web session holds its initializers).
  const cols = peers.flatMap((p) => [
    { label: `ours / ${p.label}`, ours: 'ours', peer: p.id },
    { label: `ours module / ${p.label}`, ours: 'oursModule', peer: p.id },
  ]);
  // Threads: the async calls against our one-thread call and against ORT with as many threads.
  for (const id of ['oursAsync', 'oursModuleAsync']) {
    const e = engines.find((x) => x.id === id);
    const t = e && /(\d+)t$/.exec(e.label)?.[1];
    if (!e || !t) continue;
    // The same call made synchronously in the same process (the threads build on one thread).
    const one = id === 'oursAsync' ? 'oursT' : 'oursModuleT';
    cols.push({ label: `${e.label} speedup`, ours: id, peer: one });
    if (engines.some((x) => x.id === `ort${t}`)) cols.push({ label: `${e.label} / ORT wasm ${t}t`, ours: id, peer: `ort${t}` });
  }
  return cols;
}

/** "label g.mmx, ..." over the shapes where both cells of a ratio column are timed, or ''. */
export function geomeans(engines: Engine[], results: ShapeResult[], best = false): string {
  return ratioColumns(engines).map((q) => {
    const rs = results.map((r) => ratio(r.cells[q.ours], r.cells[q.peer], best)).filter((x): x is number => x !== null);
    return rs.length ? `${q.label} ${Math.exp(rs.reduce((a, x) => a + Math.log(x), 0) / rs.length).toFixed(2)}x` : '';
  }).filter(Boolean).join('; ');
}

export function consoleTable(engines: Engine[], results: ShapeResult[]): string {
  const ratios = ratioColumns(engines);
  const header = ['shape', 'GFLOP', ...engines.map((e) => e.label), ...ratios.map((r) => r.label), 'check vs ORT'];
  const rows = results.map((r) => [
    r.shape.name,
    (flops(r.shape) / 1e9).toFixed(3),
    ...engines.map((e) => cellText(r.shape, r.cells[e.id])),
    ...ratios.map((q) => ratioText(ratio(r.cells[q.ours], r.cells[q.peer]))),
    r.check ? r.check.text : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(engines: Engine[], results: ShapeResult[]): string {
  const ratios = ratioColumns(engines);
  const header = ['shape', 'geometry', 'GFLOP', ...engines.map((e) => e.label), ...ratios.map((r) => r.label), 'check vs ORT'];
  const out = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of results) {
    const cells = [
      r.shape.name.replace(/\|/g, '\\|'),
      describe(r.shape),
      (flops(r.shape) / 1e9).toFixed(4),
      ...engines.map((e) => cellText(r.shape, r.cells[e.id])),
      ...ratios.map((q) => ratioText(ratio(r.cells[q.ours], r.cells[q.peer]))),
      r.check ? (r.check.ok ? r.check.text : `**${r.check.text}**`) : '-',
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Grouped bar chart: one group per shape, one bar per engine, height = GFLOP/s. */
export function chartSvg(engines: Engine[], results: ShapeResult[], title: string): string {
  const groupW = Math.max(18 * engines.length + 24, 150);
  const left = 60, right = 20, top = 60, bottom = 70;
  const plotH = 320;
  const width = left + right + groupW * results.length;
  const perRow = Math.max(1, Math.min(engines.length, Math.floor((width - left - right) / 170)));
  const legendRows = Math.ceil(engines.length / perRow);
  const height = top + plotH + bottom + legendRows * 18;
  let maxG = 0;
  for (const r of results) for (const e of engines) {
    const c = r.cells[e.id];
    if (c && c.kind === 'time') maxG = Math.max(maxG, gflops(r.shape, c.ms));
  }
  // a "nice" axis maximum
  const step = niceStep(maxG / 5 || 1);
  const axisMax = Math.max(step, Math.ceil(maxG / step) * step);
  const y = (g: number) => top + plotH - (g / axisMax) * plotH;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">GFLOP/s (2·N·Cin·H·W·Cout/g·kH·kW per median call), higher is better</text>`);
  for (let g = 0; g <= axisMax + 1e-9; g += step) {
    const yy = y(g).toFixed(1);
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${left - 6}" y="${yy}" dy="4" text-anchor="end">${+g.toFixed(2)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">GFLOP/s</text>`);

  results.forEach((r, gi) => {
    const gx = left + gi * groupW + (groupW - 18 * engines.length) / 2;
    engines.forEach((e, ei) => {
      const c = r.cells[e.id];
      const bx = gx + ei * 18;
      if (c && c.kind === 'time') {
        const g = gflops(r.shape, c.ms);
        const by = y(g);
        const h = Math.max(0.5, top + plotH - by);
        parts.push(`<rect x="${bx}" y="${(top + plotH - h).toFixed(1)}" width="16" height="${h.toFixed(1)}" fill="${e.color}"><title>${esc(`${r.shape.name} — ${e.label}: ${fmtMs(c.ms)} ms, ${fmtGf(g)} GFLOP/s`)}</title></rect>`);
      } else {
        parts.push(`<text x="${bx + 8}" y="${top + plotH - 4}" text-anchor="middle" font-size="8" fill="#999" transform="rotate(-90 ${bx + 8} ${top + plotH - 4})">n/a</text>`);
      }
    });
    const cx = left + gi * groupW + groupW / 2;
    const [short, ...rest] = r.shape.name.split(' ');
    parts.push(`<text x="${cx}" y="${top + plotH + 16}" text-anchor="middle" font-weight="bold">${esc(short)}</text>`);
    if (rest.length) parts.push(`<text x="${cx}" y="${top + plotH + 30}" text-anchor="middle" font-size="9" fill="#555">${esc(rest.join(' '))}</text>`);
  });

  const ly = top + plotH + bottom - 6;
  engines.forEach((e, i) => {
    const lx = left + (i % perRow) * 170;
    const yy = ly + Math.floor(i / perRow) * 18;
    parts.push(`<rect x="${lx}" y="${yy - 10}" width="12" height="12" fill="${e.color}"/>`);
    parts.push(`<text x="${lx + 18}" y="${yy}">${esc(e.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function niceStep(raw: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function machine(): { cpu: string; cores: number; os: string; node: string } {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

export function writeReport(root: string, engines: Engine[], results: ShapeResult[], info: RunInfo, command: string,
                            out = 'BENCHMARKS.md'): { md: string; svg: string } {
  const m = machine();
  const date = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  // The chart is named after the report's file name (an --out path elsewhere keeps only its name).
  const base = out.split(/[\\/]/).pop()!;
  const chart = base === 'BENCHMARKS.md' ? 'chart.svg' : `chart-${base.replace(/\.md$/i, '').toLowerCase()}.svg`;
  const svgPath = resolve(root, 'bench', chart);
  const mdPath = resolve(root, out);
  writeFileSync(svgPath, chartSvg(engines, results, `ConvTranspose2d: ours (${info.variant}) vs peers, ${m.cpu} (${m.cores} cores), Node ${m.node}`));
  const failures = results.filter((r) => r.check && !r.check.ok).map((r) => r.shape.name);
  const md = `# Benchmarks

Generated by \`${command}\` (bench/run.ts). Do not edit by hand: rerun to refresh.

- Date: ${date}
- Machine: ${m.cpu}, ${m.cores} logical cores, ${m.os}
- Node: ${m.node}
- Our build: variant \`${info.variant}\`, worker threads ${info.oursThreads}
- Peers: ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(', ')}
- Statistic: ${info.stat} latency per call over all samples (tinybench 6, warm-up first; ours and the peers timed in 10 interleaved rounds per shape, each after an untimed 80 ms warm-up, so that a burst of load on the machine falls on every engine alike)${info.quick ? ', **quick mode** (short time budget: rough figures)' : ''}

Each cell is \`median ms (GFLOP/s)\`, with GFLOP/s = 2·N·C_in·H·W·(C_out/groups)·kH·kW / time.
"ours / X" is our functional \`convTranspose2d\` against peer X in GFLOP/s (= X's time ÷ our time),
"ours module / X" our \`ConvTranspose2d.forward\` (weights packed once): above 1x ours is faster. Every engine computes the full op including bias and returns the output
to JavaScript: ours returns a fresh Tensor, onnxruntime-web a fresh output tensor per \`run()\`,
TF.js \`conv2dTranspose\` + bias add + \`dataSync()\` on NHWC data (layout changes are done once,
outside the timed region). "check vs ORT" compares our functional output with onnxruntime-web's on
the same random input and weights: max |diff|, required ≤ 1e-4·(1+|ref|) element-wise.
${failures.length ? `\n**FAIL: our output differs from onnxruntime-web on ${failures.join(', ')}.**\n` : ''}
${markdownTable(engines, results)}

n/a: TF.js \`conv2dTranspose\` has no groups, dilation or output_padding; the plain-JS reference is
timed only where one call takes under about 200 ms.
${info.notes.length ? '\nNotes:\n\n' + info.notes.map((n) => `- ${n}`).join('\n') + '\n' : ''}
![GFLOP/s per shape and engine](bench/${chart})

Figures drift from run to run and between machines: compare engines only within one run.
Reference numbers for the peers on the developers' machine are in \`bench/PEERS.md\`.
`;
  writeFileSync(mdPath, md);
  return { md: mdPath, svg: svgPath };
}
