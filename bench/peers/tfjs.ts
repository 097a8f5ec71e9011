// TensorFlow.js with the WebAssembly backend as a peer: tf.conv2dTranspose on NHWC data.
// Layout changes (NCHW -> NHWC input, PyTorch weight -> [kH, kW, Cout, Cin]) happen once,
// outside the timed region; the timed call is conv2dTranspose + bias add + dataSync().
import type { BenchShape, ShapeData } from '../shapes.js';
import { outSize } from '../shapes.js';

type Tf = typeof import('@tensorflow/tfjs-core');
let tfPromise: Promise<Tf> | null = null;

export async function loadTf(): Promise<Tf> {
  if (!tfPromise) {
    tfPromise = (async () => {
      const tf = (await import('@tensorflow/tfjs-core')) as Tf;
      await import('@tensorflow/tfjs-backend-wasm'); // registers the 'wasm' backend
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('tfjs: could not initialise the wasm backend');
      await tf.ready();
      return tf;
    })();
  }
  return tfPromise;
}

export function tfInfo(tf: Tf): string {
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const mt = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  return `backend=${tf.getBackend()} simd=${simd} threads=${mt}`;
}

/** Why TF.js cannot run this shape, or null if it can. */
export function tfUnsupported(s: BenchShape): string | null {
  if (s.g !== 1) return 'groups';
  if (s.d !== 1) return 'dilation';
  if (s.op !== 0) return 'output_padding';
  return null;
}

export interface TfRunner {
  /** One timed call: returns NHWC output data. */
  run(): Float32Array;
  /** Converts an NHWC result to NCHW (for checking, not timed). */
  toNCHW(nhwc: Float32Array): Float32Array;
  release(): void;
}

export async function makeTfRunner(s: BenchShape, data: ShapeData): Promise<TfRunner> {
  const why = tfUnsupported(s);
  if (why) throw new Error(`tfjs cannot run ${s.name}: ${why}`);
  const tf = await loadTf();
  const { n, cin, h, w, cout, k } = s;
  const [ho, wo] = outSize(s);

  const xN = new Float32Array(n * h * w * cin);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < cin; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          xN[((b * h + y) * w + x) * cin + c] = data.x.data[((b * cin + c) * h + y) * w + x];

  // PyTorch weight [Cin, Cout, kH, kW] -> TF filter [kH, kW, Cout, Cin]
  const f = new Float32Array(k * k * cout * cin);
  for (let ci = 0; ci < cin; ci++)
    for (let co = 0; co < cout; co++)
      for (let kh = 0; kh < k; kh++)
        for (let kw = 0; kw < k; kw++)
          f[((kh * k + kw) * cout + co) * cin + ci] = data.w.data[((ci * cout + co) * k + kh) * k + kw];

  const xT = tf.tensor4d(xN, [n, h, w, cin]);
  const fT = tf.tensor4d(f, [k, k, cout, cin]);
  const bT = tf.tensor1d(data.b.data);
  const outShape: [number, number, number, number] = [n, ho, wo, cout];

  return {
    run() {
      const y = tf.tidy(() => tf.add(tf.conv2dTranspose(xT, fT, outShape, s.s, s.p), bT));
      const out = y.dataSync() as Float32Array;
      y.dispose();
      return out;
    },
    toNCHW(nhwc) {
      const o = new Float32Array(nhwc.length);
      for (let b = 0; b < n; b++)
        for (let y = 0; y < ho; y++)
          for (let x = 0; x < wo; x++)
            for (let c = 0; c < cout; c++)
              o[((b * cout + c) * ho + y) * wo + x] = nhwc[((b * ho + y) * wo + x) * cout + c];
      return o;
    },
    release() { xT.dispose(); fT.dispose(); bT.dispose(); },
  };
}
