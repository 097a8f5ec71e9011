// `npm run cold-start`: cold start of the built package in fresh Node processes: import, init()
// and the first dcgan-3 call (1x256x8x8 -> 1x128x16x16, k4 s2 p1). Each run is a new process
// running a small script file (build/cold-start-child.mjs, as a user's program would; code given
// with -e pays extra for Node's module loader); inside it performance.now() marks are taken
// before the dynamic import, after it, after init() and after the first call (the input and
// weight arrays are made before the first mark).
// Prints the median (and min/max) over RUNS processes, plus each process's wall time next to an
// empty `node -e 0`, whose difference is what the package adds to a script's run time. The CPU
// time (process.cpuUsage, all threads, so V8's background compilation too) is less sensitive to
// other load on the machine than the wall-clock marks.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.RUNS ?? 15);
const entry = pathToFileURL(join(root, "dist", "convtranspose-wasm.js")).href; // the package entry (exports["."].import)
const child = `
const x = { data: new Float32Array(256 * 8 * 8).map((_, i) => Math.sin(i)), shape: [1, 256, 8, 8] };
const w = { data: new Float32Array(256 * 128 * 16).map((_, i) => Math.cos(i) * 0.05), shape: [256, 128, 4, 4] };
const c0 = process.cpuUsage();
const t0 = performance.now();
const lib = await import(${JSON.stringify(entry)});
const t1 = performance.now();
const { variant } = await lib.init();
const t2 = performance.now();
const y = lib.convTranspose2d(x, w, null, { stride: 2, padding: 1 });
const t3 = performance.now();
const c = process.cpuUsage(c0);
if (y.shape.join() !== '1,128,16,16' || !Number.isFinite(y.data[0])) throw new Error('bad output');
console.log(JSON.stringify({ variant, importMs: t1 - t0, initMs: t2 - t1, callMs: t3 - t2, totalMs: t3 - t0, cpuMs: (c.user + c.system) / 1000, sinceProcessStart: t3 }));
`;
const childFile = join(root, 'build', 'cold-start-child.mjs');
mkdirSync(dirname(childFile), { recursive: true });
writeFileSync(childFile, child);
const median = (a) => { const s = [...a].sort((p, q) => p - q); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const wall = (args) => { const t = process.hrtime.bigint(); const r = spawnSync(process.execPath, args, { encoding: 'utf8' }); const ms = Number(process.hrtime.bigint() - t) / 1e6; if (r.status) throw new Error(r.stderr); return { ms, out: r.stdout }; };

const runs = [], walls = [], empties = [];
for (let i = 0; i < RUNS; i++) {
  empties.push(wall(['-e', '0']).ms);
  const r = wall([childFile]);
  walls.push(r.ms);
  runs.push(JSON.parse(r.out));
}
const f = (v) => v.toFixed(1);
const row = (name, vals) => console.log(`${name.padEnd(34)} median ${f(median(vals)).padStart(6)} ms   min ${f(Math.min(...vals)).padStart(6)}   max ${f(Math.max(...vals)).padStart(6)}`);
console.log(`cold start, ${RUNS} fresh Node ${process.version} processes (${runs[0].variant} build), dcgan-3 first call:`);
row('import', runs.map((r) => r.importMs));
row('init()', runs.map((r) => r.initMs));
row('first convTranspose2d', runs.map((r) => r.callMs));
row('import + init + first call', runs.map((r) => r.totalMs));
row('  CPU time of those (all threads)', runs.map((r) => r.cpuMs));
row('process wall time', walls);
row('empty node -e 0 wall time', empties);
console.log(`added to a script's wall time: ${f(median(walls) - median(empties))} ms (median difference)`);
