// Benchmark entry point.
//
//   npm run build && npx tsc -p bench/tsconfig.json && node build/bench/run.js \
//       [--shapes a,b] [--threads 1,2] [--quick] [--variant simd128|relaxed-simd] [--write|--no-write]
//
// --shapes   names (or the part before the first space, e.g. dcgan-2) or 0-based indices
// --threads  onnxruntime-web numThreads values; the first runs in this process next to ours, each
//            other one in a child process (ORT fixes its thread pool at first use). A value > 1
//            also starts our workers with init({ threads }) and times convTranspose2dAsync.
// --quick    short time budgets (rough figures)
// --variant  forces init({ variant }) instead of the best build the runtime supports
// BENCHMARKS.md and bench/chart.svg are written on a full (all shapes, not --quick) run, or with
// --write; --no-write never writes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { compare, describe, flops, loadShapes, makeData, repoRoot, type BenchShape } from './shapes.js';
import { makeOrtRunner, type OrtRunner } from './peers/ort.js';
import { startBusy, type Busy } from './busy.js';
import { loadTf, makeTfRunner, tfInfo, tfUnsupported } from './peers/tfjs.js';
import { measurePeaks } from './peak/run.js';
import { consoleTable, geomeans, gflops, ratio, writeReport, type Cell, type Engine, type ShapeResult } from './report.js';

interface Args {
  shapes: string[] | null;
  threads: number[];
  quick: boolean;
  variant: string | undefined;
  write: boolean | undefined;
  ortChild: number | undefined;
  withOurs: boolean;
  peersOnly: boolean;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { shapes: null, threads: [1], quick: false, variant: undefined, write: undefined, ortChild: undefined, withOurs: false, peersOnly: false, out: 'BENCHMARKS.md' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const [key, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const val = () => inline ?? next();
    switch (key) {
      case '--shapes': a.shapes = val().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--threads':
        a.threads = val().split(',').map((t) => Number(t));
        if (!a.threads.length || a.threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error('--threads takes positive integers, e.g. 1,2');
        break;
      case '--quick': a.quick = true; break;
      case '--variant': a.variant = val(); break;
      case '--write': a.write = true; break;
      case '--no-write': a.write = false; break;
      case '--ort-child': a.ortChild = Number(val()); break;
      case '--with-ours': a.withOurs = true; break;
      case '--peers-only': a.peersOnly = true; break;
      case '--out': a.out = val(); break;
      case '--help': case '-h':
        console.log('node build/bench/run.js [--shapes a,b] [--threads 1,2] [--quick] [--variant simd128|relaxed-simd] [--write|--no-write] [--out FILE.md] [--peers-only]');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${arg}`);
    }
  }
  return a;
}

function selectShapes(all: BenchShape[], wanted: string[] | null): BenchShape[] {
  if (!wanted) return all;
  const picked = wanted.map((w) => {
    if (/^\d+$/.test(w) && Number(w) < all.length) return all[Number(w)];
    const hit = all.find((s) => s.name === w) ?? all.find((s) => s.name.split(' ')[0] === w)
      ?? all.find((s) => s.name.includes(w));
    if (!hit) throw new Error(`no shape matches "${w}"; names: ${all.map((s) => s.name.split(' ')[0]).join(', ')}`);
    return hit;
  });
  return all.filter((s) => picked.includes(s)); // file order, no duplicates
}

/** Times fn with tinybench; the statistic reported is the median latency. */
async function measure(fn: () => unknown, quick: boolean): Promise<Cell> {
  try {
    const t0 = performance.now();
    await fn();
    const est = Math.max(performance.now() - t0, 1e-3);
    const budget = quick ? 150 : 1000;
    const iterations = Math.max(quick ? 3 : 5, Math.min(quick ? 16 : 64, Math.floor(budget / est)));
    const bench = new Bench({
      time: budget,
      iterations,
      warmupTime: quick ? 30 : 200,
      warmupIterations: Math.max(quick ? 1 : 2, Math.min(16, Math.floor((quick ? 30 : 200) / est))),
      throws: true,
    });
    bench.add('task', fn);
    await bench.run();
    const r = bench.tasks[0].result;
    if (r.state !== 'completed') throw new Error(`tinybench state ${r.state}`);
    return { kind: 'time', ms: r.latency.p50, mean: r.latency.mean, rme: r.latency.rme, samples: r.latency.samplesCount, min: r.latency.min };
  } catch (e) {
    return { kind: 'error', why: (e as Error).message };
  }
}

interface Runner { id: string; label: string; fn: () => unknown }

/** The heavy layers over which the performance targets take geometric means. */
const TARGET_SET = ['dcgan-2', 'dcgan-3', 'dcgan-4', 'unet-up', 'decoder', 'batch16'];

/**
 * Times every runner in interleaved rounds (each round a short tinybench run per runner) and
 * reports each runner's median over all its samples.
 */
async function measureInterleaved(runners: Runner[], quick: boolean): Promise<Record<string, Cell>> {
  // Many short rounds: a burst of load then falls on every engine alike.
  const rounds = quick ? 2 : 10;
  const budget = (quick ? 150 : 1000) / rounds;
  const samples = new Map<string, number[]>();
  const out: Record<string, Cell> = {};
  const live = runners.filter(({ id }) => { samples.set(id, []); return true; });
  for (let round = 0; round < rounds; round++) {
    for (const { id, fn } of live) {
      if (out[id]) continue; // failed in an earlier round
      try {
        const t0 = performance.now();
        await fn();
        const est = Math.max(performance.now() - t0, 1e-3);
        const bench = new Bench({
          time: budget, iterations: Math.max(2, Math.min(64, Math.floor(budget / est))),
          // Every round warms up again (untimed): after its last call, onnxruntime-web's worker
          // threads keep spinning for about 50 ms (measured: half a core busy in an idle
          // process), which would slow whatever engine runs next on this 2-core machine.
          warmupTime: round === 0 ? (quick ? 30 : 100) : (quick ? 10 : 80), warmupIterations: round === 0 ? 2 : 1,
          throws: true, retainSamples: true,
        });
        bench.add(id, fn);
        await bench.run();
        const res = bench.tasks[0].result;
        if (res.state !== 'completed') throw new Error(`tinybench state ${res.state}`);
        samples.get(id)!.push(...(res.latency.samples ?? []));
      } catch (e) {
        out[id] = { kind: 'error', why: (e as Error).message };
      }
    }
  }
  for (const { id } of live) {
    if (out[id]) continue;
    const all = samples.get(id)!.sort((a, b) => a - b);
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, all.length - 1));
    out[id] = { kind: 'time', ms: all[all.length >> 1], mean, rme: (100 * 1.96 * sd) / Math.sqrt(all.length) / mean, samples: all.length, min: all[0] };
  }
  return out;
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(resolve(repoRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch { return '?'; }
}

function fmtCell(c: Cell, s: BenchShape): string {
  if (c.kind === 'time') return `${c.ms.toFixed(3)} ms median (mean ${c.mean.toFixed(3)}, ±${c.rme.toFixed(1)}%, n=${c.samples}), ${(flops(s) / c.ms / 1e6).toFixed(2)} GFLOP/s`;
  return c.kind === 'na' ? `n/a (${c.why})` : `ERROR ${c.why}`;
}

/** Our outputs against onnxruntime-web's on the same data: all within tolerance, the largest difference, what failed. */
async function checkAgainst(checks: [string, (() => Float32Array | Promise<Float32Array>) | null][],
                            ortOut: Float32Array): Promise<{ ok: boolean; worst: number; texts: string[] }> {
  const texts: string[] = [];
  let worst = 0;
  for (const [name, fn] of checks) {
    if (!fn) continue;
    try {
      const c = compare(await fn(), ortOut);
      worst = Math.max(worst, c.maxDiff);
      if (!c.ok) texts.push(`${name}: max|diff| ${c.maxDiff.toExponential(2)} at [${c.worst}]`);
    } catch (e) {
      texts.push(`${name} threw ${(e as Error).message}`);
    }
  }
  return { ok: texts.length === 0, worst, texts };
}

const MARK = '@@ORT-CHILD@@';

/** What a child process reports per shape: its cells, and the check of our threaded calls. */
interface ChildShape { cells: Record<string, Cell>; check?: { ok: boolean; text: string } }
interface ChildReport { threads: number; shapes: Record<string, ChildShape> }

/**
 * Child mode: onnxruntime-web with numThreads = n (ORT fixes its thread count per process).
 * With --with-ours, our calls on init({ threads: n }) run in the same process, interleaved with
 * ORT in the same rounds: the async calls, and the sync calls on the threads build (the base of
 * the thread speedup). Prints a ChildReport as JSON.
 */
async function child(shapes: BenchShape[], n: number, quick: boolean, withOurs: boolean, variant: string | undefined): Promise<void> {
  const ours = withOurs ? await import('./ours.js') : null;
  const init = ours ? await ours.initOurs({ threads: n, variant }) : null;
  const threaded = ours && init && init.threads > 1 && ours.hasAsync();
  const report: ChildReport = { threads: init?.threads ?? 0, shapes: {} };
  for (const s of shapes) {
    const data = makeData(s);
    const ort = await makeOrtRunner(s, data, n);
    const ortOut = await ort.run();
    const runners: Runner[] = [];
    let check: ChildShape['check'];
    if (threaded) {
      const r = ours.makeOursRunners(s, data);
      const checks: [string, (() => Promise<Float32Array>) | null][] = [[`async ${n}t`, r.async], [`module async ${n}t`, r.moduleAsync]];
      const c = await checkAgainst(checks, ortOut);
      check = { ok: c.ok, text: c.ok ? `ok (${c.worst.toExponential(1)})` : c.texts.join('; ') };
      runners.push({ id: 'oursT', label: 'ours (threads build, sync)', fn: r.functional },
                   { id: 'oursModuleT', label: 'ours module (threads build, sync)', fn: r.module });
      if (r.async) runners.push({ id: 'oursAsync', label: `ours async ${n}t`, fn: r.async });
      if (r.moduleAsync) runners.push({ id: 'oursModuleAsync', label: `ours module async ${n}t`, fn: r.moduleAsync });
    }
    runners.push({ id: `ort${n}`, label: `ORT wasm ${n}t`, fn: () => ort.run() });
    // On the heavy layers, the one-thread call with the other core running it too: what a split
    // call can reach on this machine (bench/busy.ts).
    let busy: Busy | null = null;
    if (threaded && n === 2 && TARGET_SET.includes(s.name.split(' ')[0])) {
      busy = await startBusy(s, data, variant, ours.makeOursRunners(s, data).module);
      runners.push({ id: 'busy', label: 'ours module (threads build, sync), other core busy', fn: busy.run });
    }
    const cells = runners.length > 1 ? await measureInterleaved(runners, quick) : { [`ort${n}`]: await measure(() => ort.run(), quick) };
    report.shapes[s.name] = { cells, check };
    await busy?.stop();
    await ort.release();
  }
  if (ours) await ours.disposeOurs();
  process.stdout.write(`${MARK}${JSON.stringify(report)}\n`);
}

function spawnChild(shapes: BenchShape[], all: BenchShape[], n: number, quick: boolean, withOurs: boolean,
                    variant: string | undefined): ChildReport | string {
  const script = fileURLToPath(import.meta.url);
  const idx = shapes.map((s) => String(all.indexOf(s))).join(',');
  const args = [...process.execArgv, script, '--ort-child', String(n), '--shapes', idx, ...(quick ? ['--quick'] : []),
    ...(withOurs ? ['--with-ours'] : []), ...(variant ? ['--variant', variant] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 30 * 60_000 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith(MARK));
  if (!line) return `child exited with ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`;
  return JSON.parse(line.slice(MARK.length)) as ChildReport;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const all = loadShapes();
  const shapes = selectShapes(all, args.shapes);

  if (args.ortChild !== undefined) {
    await child(shapes, args.ortChild, args.quick, args.withOurs, args.variant);
    return 0;
  }

  const oursThreads = Math.max(...args.threads);
  // ours.js (and with it ../src/index.js) is loaded only when ours is measured
  const ours = args.peersOnly ? null : await import('./ours.js');
  let initResult = { variant: 'none', threads: 0 };
  if (ours) {
    const tInit = performance.now();
    // One thread here (the build a one-thread user gets); threads run in the child process.
    initResult = await ours.initOurs({ threads: 1, variant: args.variant });
    const initMs = performance.now() - tInit;
    console.log(`ours: variant=${initResult.variant} threads=${initResult.threads} (init ${initMs.toFixed(1)} ms)` +
      (args.variant ? ` [requested variant ${args.variant}]` : ''));
    if (args.variant && initResult.variant !== args.variant) {
      console.log(`WARNING: requested variant ${args.variant} but init() reports ${initResult.variant}`);
    }
  } else {
    console.log('peers only: the library is not loaded');
  }

  // The machine's multiply-add ceiling for each build this runtime runs, measured in this process.
  const peaks = ours ? measurePeaks(repoRoot(), ours.supportedVariants()) : [];
  for (const pk of peaks) console.log(`multiply-add peak (bench/peak): ${pk.variant} ${pk.gflops.toFixed(1)} GFLOP/s`);

  const tf = await loadTf();
  console.log(`tfjs: ${tfInfo(tf)}`);
  const ortThreads = args.threads[0];
  console.log(`onnxruntime-web: wasm backend, numThreads=${ortThreads} in this process` +
    (args.threads.length > 1 ? `; numThreads=${args.threads.slice(1).join(',')} in child processes` : ''));
  console.log(`statistic: median latency (tinybench), engines interleaved in rounds${args.quick ? ', quick mode' : ''}\n`);

  // Our threaded calls are timed in the child process of the largest --threads value, next to ORT.
  const asyncThreads = ours && ours.hasAsync() && oursThreads > 1 ? oursThreads : 0;
  if (ours && oursThreads > 1 && !asyncThreads) console.log('ours: no convTranspose2dAsync export: not timing ours async');
  const engines: Engine[] = [
    ...(ours ? [
      { id: 'ours', label: 'ours', ours: true, color: '#1f77b4' },
      { id: 'oursModule', label: 'ours module', ours: true, color: '#6baed6' },
      ...(asyncThreads ? [
        { id: 'oursAsync', label: `ours async ${asyncThreads}t`, ours: true, color: '#08306b' },
        { id: 'oursModuleAsync', label: `ours module async ${asyncThreads}t`, ours: true, color: '#4292c6' },
      ] : []),
      { id: 'reference', label: 'JS reference', ours: true, color: '#b0b0b0' },
    ] : []),
    ...args.threads.map((t, i) => ({ id: `ort${t}`, label: `ORT wasm ${t}t`, ours: false, color: ['#d62728', '#ff9896', '#8c564b', '#e377c2'][i % 4] })),
    { id: 'tfjs', label: 'tfjs wasm', ours: false, color: '#2ca02c' },
  ];

  const results: ShapeResult[] = [];
  let failed = 0;
  for (const s of shapes) {
    console.log(`== ${s.name}: ${describe(s)}, ${(flops(s) / 1e9).toFixed(4)} GFLOP`);
    const data = makeData(s);
    const cells: Record<string, Cell> = {};
    const res: ShapeResult = { shape: s, cells, check: null };
    results.push(res);

    let ort: OrtRunner | null = null;
    let ortOut: Float32Array | null = null;
    try {
      ort = await makeOrtRunner(s, data, ortThreads);
      ortOut = await ort.run();
    } catch (e) {
      console.log(`  ORT could not run this shape: ${(e as Error).message}`);
      cells[`ort${ortThreads}`] = { kind: 'error', why: (e as Error).message };
    }

    let r: import('./ours.js').OursRunners | null = null;
    if (ours) {
      try {
        r = ours.makeOursRunners(s, data);
      } catch (e) {
        console.log(`  FAIL: ours could not set up this shape: ${(e as Error).message}`);
        res.check = { ok: false, text: 'FAIL (setup threw)' };
        failed++;
      }
    }

    // correctness first, against onnxruntime-web on the same data
    if (r && ortOut) {
      const checks: [string, () => Float32Array | Promise<Float32Array>][] = [
        ['functional', r.functional], ['module', r.module],
      ];
      const { ok, worst, texts } = await checkAgainst(checks, ortOut);
      res.check = ok ? { ok, text: `ok (${worst.toExponential(1)})` } : { ok, text: 'FAIL' };
      if (ok) console.log(`  check vs ORT: ok, max |diff| ${worst.toExponential(2)}`);
      else { failed++; console.log(`  FAIL: ours differs from onnxruntime-web: ${texts.join('; ')}`); }
    }

    if (r) {
      // the plain-JS reference only where one call is cheap enough (timed on its own: it is slow)
      const t0 = performance.now();
      try {
        r.reference();
        const once = performance.now() - t0;
        cells.reference = once < 200 ? await measure(r.reference, args.quick) : { kind: 'na', why: `one call took ${once.toFixed(0)} ms` };
      } catch (e) {
        cells.reference = { kind: 'error', why: (e as Error).message };
      }
    }

    const why = tfUnsupported(s);
    const t = why ? null : await makeTfRunner(s, data);
    if (why) cells.tfjs = { kind: 'na', why };
    if (t && ortOut) {
      const c = compare(t.toNCHW(t.run()), ortOut);
      console.log(`  tfjs vs ORT: ${c.ok ? 'ok' : 'DIFFERS'}, max |diff| ${c.maxDiff.toExponential(2)}`);
    }
    // Ours and the peers in interleaved rounds, so that a burst of load on the machine falls on
    // every engine alike.
    const runners: Runner[] = [];
    if (r) {
      runners.push({ id: 'ours', label: 'ours', fn: r.functional }, { id: 'oursModule', label: 'ours module', fn: r.module });
    }
    if (ort) { const o = ort; runners.push({ id: `ort${ortThreads}`, label: `ORT wasm ${ortThreads}t`, fn: () => o.run() }); }
    if (t) runners.push({ id: 'tfjs', label: 'tfjs wasm', fn: () => t.run() });
    // The multiply-add peak of our build, sampled in the same rounds (not a table column): the
    // share of peak then compares a median with a median taken under the same load.
    // Each sample does the layer's nominal arithmetic, so it lasts about as long as our call and
    // meets the same bursts of load (a long call cannot dodge them the way a short sample can).
    const ownPeak = peaks.find((pk) => pk.variant === initResult.variant.replace(/-threads$/, ''))?.sampler(flops(s));
    if (ownPeak) {
      runners.push({ id: 'peak', label: 'multiply-add peak', fn: ownPeak.run });
      res.peakFlops = ownPeak.flops;
    }
    Object.assign(cells, await measureInterleaved(runners, args.quick));
    for (const { id, label } of runners) {
      const c = cells[id];
      const text = id === 'peak' && c.kind === 'time' && ownPeak ? `${c.ms.toFixed(3)} ms median, ${(ownPeak.flops / c.ms / 1e6).toFixed(1)} GFLOP/s` : fmtCell(c, s);
      console.log(`  ${label.padEnd(22)} ${text}`);
    }
    if (cells.reference) console.log(`  ${'JS reference'.padEnd(22)} ${fmtCell(cells.reference, s)}`);
    if (ort) await ort.release();
    t?.release();
  }

  const notes: string[] = [];
  for (const n of args.threads.slice(1)) {
    const withOurs = asyncThreads === n;
    console.log(`\nonnxruntime-web numThreads=${n}${withOurs ? ` and ours on ${n} threads` : ''} (child process)...`);
    const report = spawnChild(shapes, all, n, args.quick, withOurs, args.variant);
    if (typeof report === 'string') {
      console.log(`  failed: ${report}`);
      notes.push(`the child process for ${n} threads failed: ${report}`);
      for (const r of results) r.cells[`ort${n}`] = { kind: 'error', why: report };
      continue;
    }
    if (withOurs && report.threads !== n) {
      notes.push(`ours: init({ threads: ${n} }) gave threads=${report.threads} in the child process`);
    }
    for (const r of results) {
      const got = report.shapes[r.shape.name];
      if (!got) { r.cells[`ort${n}`] = { kind: 'error', why: 'missing' }; continue; }
      Object.assign(r.cells, got.cells);
      for (const [id, c] of Object.entries(got.cells)) console.log(`  ${r.shape.name.split(' ')[0].padEnd(12)} ${id.padEnd(16)} ${fmtCell(c, r.shape)}`);
      if (got.check && !got.check.ok) {
        failed++;
        console.log(`  FAIL: ours on ${n} threads differs from onnxruntime-web on ${r.shape.name}: ${got.check.text}`);
        r.check = { ok: false, text: 'FAIL' };
      }
    }
  }
  if (args.threads.length > 1) {
    notes.push(`ORT wasm ${args.threads[0]}t ran in the same process as "ours" and "ours module" (our one-thread build), interleaved with them; ORT wasm ${args.threads.slice(1).map((t) => `${t}t`).join(', ')} ran in a child process afterwards (ORT fixes numThreads at its first session)${asyncThreads ? `, interleaved there with our calls on init({ threads: ${asyncThreads} })` : ''}.`);
  }
  if (asyncThreads) {
    notes.push(`"ours async ${asyncThreads}t" is convTranspose2dAsync over the workers of init({ threads: ${asyncThreads} }) (packs the weights every call, on the calling thread); "ours module async ${asyncThreads}t" is ConvTranspose2d.forwardAsync (weights packed once, as in an ORT session). Their speedup is over the same calls made synchronously in the same child process (the threads build on one thread). On the heavy layers the child also times the one-thread module call while a worker with its own one-thread engine runs the same layer nonstop on the other core ("other core busy"): a split call has both cores do this work, so 2 x the one-thread time alone ÷ that time is the speedup a perfect split could reach at that moment (bench/busy.ts).`);
  }
  for (const r of results) for (const [id, c] of Object.entries(r.cells)) {
    if (c.kind === 'error') notes.push(`${r.shape.name}, ${id}: error: ${c.why}`);
  }

  console.log(`\nmedian ms (GFLOP/s); ours / X = X's time ÷ our time (> 1x: ours faster)\n`);
  console.log(consoleTable(engines, results));
  const means = geomeans(engines, results);
  if (means) {
    console.log(`\ngeometric means over these shapes: ${means}`);
    notes.push(`Geometric means of the ratio columns over the shapes of this run: ${means}.`);
  }
  // The project's performance targets are stated over this set of the heavy layers.
  const heavy = results.filter((r) => TARGET_SET.includes(r.shape.name.split(' ')[0]));
  const heavyMeans = heavy.length === TARGET_SET.length ? geomeans(engines, heavy) : '';
  if (heavyMeans) {
    const bestMeans = geomeans(engines, heavy, true);
    console.log(`geometric means over ${TARGET_SET.join(', ')}: ${heavyMeans}`);
    console.log(`the same on each engine's fastest call: ${bestMeans}`);
    notes.push(`Geometric means over ${TARGET_SET.join(', ')} (the heavy layers the targets name): ${heavyMeans}.`);
    notes.push(`The same on each engine's fastest call instead of the median (this machine is shared, and the fastest call is the one least slowed by other load): ${bestMeans}.`);
    // Per layer, the ratios the targets name: median (fastest call).
    const pair = (a: string, b: string) => {
      const m = heavy.map((r) => {
        const x = ratio(r.cells[a], r.cells[b]), y = ratio(r.cells[a], r.cells[b], true);
        return x === null ? '' : `${r.shape.name.split(' ')[0]} ${x.toFixed(2)}x (${y?.toFixed(2) ?? '?'}x)`;
      }).filter(Boolean);
      return m.length ? m.join(', ') : '';
    };
    // 2 x the one-thread call alone / the same call with the other core busy (bench/busy.ts)
    const ceiling = heavy.map((r) => {
      const x = ratio(r.cells.busy, r.cells.oursModuleT), y = ratio(r.cells.busy, r.cells.oursModuleT, true);
      return x === null ? '' : `${r.shape.name.split(' ')[0]} ${(2 * x).toFixed(2)}x (${y === null ? '?' : (2 * y).toFixed(2)}x)`;
    }).filter(Boolean).join(', ');
    const lines: [string, string][] = [
      ['ours module / ORT wasm 1t', pair('oursModule', 'ort1')],
      [`ours module async ${asyncThreads}t / ORT wasm ${asyncThreads}t`, asyncThreads ? pair('oursModuleAsync', `ort${asyncThreads}`) : ''],
      [`ours module async ${asyncThreads}t / ours module (thread speedup)`, asyncThreads ? pair('oursModuleAsync', 'oursModuleT') : ''],
      ['what a perfect 2-thread split could reach here (2 x ours module alone ÷ ours module with the other core busy)', ceiling],
    ];
    for (const [label, text] of lines) {
      if (!text) continue;
      console.log(`${label}, median (fastest call): ${text}`);
      notes.push(`${label}, median (fastest call): ${text}.`);
    }
  }

  const peak = peaks.find((pk) => pk.variant === initResult.variant.replace(/-threads$/, ''));
  if (peak) {
    // Median against the peak's median sampled in the same rounds; fastest call against the
    // ceiling (the fastest peak run seen: the 60 before the shapes or any sampled alongside).
    const pct = results.map((r) => {
      const c = r.cells.oursModule, pc = r.cells.peak;
      if (!c || c.kind !== 'time') return '';
      const alongside = pc && pc.kind === 'time' && r.peakFlops ? r.peakFlops / pc.ms / 1e6 : null;
      const median = alongside ? `${((100 * gflops(r.shape, c.ms)) / alongside).toFixed(0)}%` : '?';
      const ceiling = Math.max(peak.gflops, pc && pc.kind === 'time' && pc.min && r.peakFlops ? r.peakFlops / pc.min / 1e6 : 0);
      const best = c.min !== undefined ? `${((100 * gflops(r.shape, c.min)) / ceiling).toFixed(0)}%` : '?';
      return `${r.shape.name.split(' ')[0]} ${median} (${best})`;
    }).filter(Boolean).join(', ');
    const line = `Multiply-add peak measured in this run (bench/peak, 12 independent f32x4 chains, best of 60 runs): ${peaks.map((pk) => `${pk.variant} ${pk.gflops.toFixed(1)} GFLOP/s`).join(', ')}. ours module as a share of the ${peak.variant} peak, median call against the peak's median sampled in the same rounds as the layer, each sample doing the layer's arithmetic (fastest call against the fastest peak run seen): ${pct}.`;
    console.log(`\n${line}`);
    notes.push(line);
  }

  const full = !args.shapes && !args.quick;
  const write = !args.peersOnly && (args.write ?? full);
  if (write) {
    const cmd = ['node', ...process.execArgv, 'build/bench/run.js', ...process.argv.slice(2)]
      .map((t) => (/[\s>|]/.test(t) ? JSON.stringify(t) : t)).join(' ');
    const paths = writeReport(repoRoot(), engines, results, {
      variant: initResult.variant, oursThreads: asyncThreads || 1, stat: 'median', quick: args.quick,
      versions: {
        'onnxruntime-web': pkgVersion('onnxruntime-web'),
        '@tensorflow/tfjs-backend-wasm': pkgVersion('@tensorflow/tfjs-backend-wasm'),
        tinybench: pkgVersion('tinybench'),
      },
      notes,
    }, cmd, args.out);
    console.log(`\nwrote ${paths.md} and ${paths.svg}`);
  } else {
    console.log(`\n(not writing BENCHMARKS.md: ${args.peersOnly ? '--peers-only' : args.write === false ? '--no-write' : 'subset or --quick run; pass --write to force'})`);
  }
  if (failed) console.log(`\nFAIL: ${failed} shape(s) where ours does not match onnxruntime-web`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => { console.error(e); process.exit(2); },
);
