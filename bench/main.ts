// `npm start`: the worked example from DEVELOPERS.md through the WebAssembly kernel, cross-checked
// against the plain-JS reference, then the batch example's shape, then a short timing table of the
// DCGAN layers (ours vs the reference).
import {
  ConvTranspose2d, Tensor, convTranspose2d, convTranspose2dOutputShape, convTranspose2dReference, init,
} from '../src/index.js';
import { BenchShape, compare, flops, loadShapes, makeData } from './shapes.js';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Median wall time (ms) of `fn` over repeated runs within about `budgetMs`. */
function time(fn: () => unknown, budgetMs: number): number {
  fn();
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  while (times.length < 5 || (performance.now() < end && times.length < 2000)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

async function main(): Promise<void> {
  const { variant } = await init();

  // The worked example: ConvTranspose2d(1, 3, 4, 1, 0, bias=False), weight linspace(0.1, 4.8, 48).
  const input = new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [1, 1, 2, 3]);
  const weight = new Tensor(Float32Array.from({ length: 48 }, (_, i) => 0.1 + (i * (4.8 - 0.1)) / 47), [1, 3, 4, 4]);
  const layer = new ConvTranspose2d(1, 3, 4, { stride: 1, padding: 0, bias: false });
  layer.weight = weight;
  const out = layer.forward(input);
  const ref = convTranspose2dReference(input, weight, null);
  const functional = convTranspose2d(input, weight, null);
  console.log('Worked example: ConvTranspose2d(1, 3, kernel_size=4, stride=1, padding=0, bias=False)');
  console.log('weight = linspace(0.1, 4.8, 48).view(1, 3, 4, 4)\n');
  console.log(`input ${JSON.stringify(input.shape)}:\n${input.toString()}\n`);
  console.log(`output ${JSON.stringify(out.shape)}:\n${out.toString()}\n`);
  console.log(`variant: ${variant}`);
  console.log(`max |kernel - reference|: ${maxAbsDiff(out.data, ref.data).toExponential(2)} (module forward), ` +
              `${maxAbsDiff(functional.data, ref.data).toExponential(2)} (functional)`);

  const batchShape = convTranspose2dOutputShape([4, 3, 4, 4], [3, 7, 4, 4]);
  const batch = new ConvTranspose2d(3, 7, 4).forward(new Tensor(new Float32Array(4 * 3 * 4 * 4).fill(1), [4, 3, 4, 4]));
  console.log(`\nBatch example: 4x3x4x4 through ConvTranspose2d(3, 7, 4, 1, 0) -> ${batch.shape.join('x')} (inferred ${batchShape.join('x')})`);

  console.log('\nDCGAN generator layers, one thread (median ms; GFLOP/s = 2*N*Cin*H*W*Cout/g*k*k / time):\n');
  const rows: string[][] = [['layer', 'ours forward', 'ours functional', 'reference (JS)', 'speed-up', 'check']];
  const dcgan = loadShapes().filter((s: BenchShape) => s.name.startsWith('dcgan'));
  for (const s of dcgan) {
    const d = makeData(s);
    const opts = { stride: s.s, padding: s.p, outputPadding: s.op, dilation: s.d, groups: s.g };
    const m = new ConvTranspose2d(s.cin, s.cout, s.k, { ...opts, bias: true });
    m.weight = new Tensor(d.w.data, d.w.shape);
    m.bias = new Tensor(d.b.data, d.b.shape);
    const ours = m.forward(d.x);
    const want = convTranspose2dReference(d.x, d.w, d.b, opts);
    const ok = compare(ours.data, want.data).ok;
    const tf = time(() => m.forward(d.x), 300);
    const tc = time(() => convTranspose2d(d.x, d.w, d.b, opts), 300);
    const tr = time(() => convTranspose2dReference(d.x, d.w, d.b, opts), 600);
    const gf = (t: number) => `${t.toFixed(3)} ms (${(flops(s) / t / 1e6).toFixed(1)} GF/s)`;
    rows.push([s.name, gf(tf), gf(tc), gf(tr), `${(tr / tf).toFixed(0)}x`, ok ? 'ok' : 'MISMATCH']);
    m.dispose();
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => c.padEnd(widths[j])).join(' | '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
  console.log('\nFull comparison with onnxruntime-web and TF.js: npm run bench');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
