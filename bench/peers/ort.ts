// onnxruntime-web (WebAssembly backend) as a peer: one ConvTranspose node built in memory.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchShape, ShapeData } from '../shapes.js';
import { outShape } from '../shapes.js';
import { convTransposeModel } from './onnx-proto.js';

type Ort = typeof import('onnxruntime-web');
let ortPromise: Promise<Ort> | null = null;
let configuredThreads = 0;

/** The ORT dist/ folder, as a file:// URL prefix ending in '/'. */
export function ortDistUrl(): string {
  const require = createRequire(import.meta.url);
  // The package's require entry is dist/ort.node.min.js; the .wasm/.mjs files sit beside it.
  const entry = require.resolve('onnxruntime-web');
  return pathToFileURL(dirname(entry) + '/').href;
}

/**
 * Loads onnxruntime-web once. numThreads is fixed for the life of the process by ORT (the wasm
 * module and its pthread pool are created on the first session), so later calls must agree.
 */
export async function loadOrt(numThreads: number): Promise<Ort> {
  if (ortPromise) {
    if (numThreads !== configuredThreads) {
      throw new Error(`onnxruntime-web was already initialised with numThreads=${configuredThreads}`);
    }
    return ortPromise;
  }
  configuredThreads = numThreads;
  ortPromise = (async () => {
    const ort = (await import('onnxruntime-web')) as Ort;
    ort.env.wasm.numThreads = numThreads;
    ort.env.wasm.simd = true;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = ortDistUrl();
    ort.env.logLevel = 'error';
    return ort;
  })();
  return ortPromise;
}

export interface OrtRunner {
  /** One inference; resolves with the output data. */
  run(): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function makeOrtRunner(s: BenchShape, data: ShapeData, numThreads: number): Promise<OrtRunner> {
  const ort = await loadOrt(numThreads);
  const model = convTransposeModel({
    inputShape: data.x.shape,
    weightShape: data.w.shape,
    weight: data.w.data,
    bias: data.b.data,
    outputShape: outShape(s),
    kernel: [s.k, s.k],
    strides: [s.s, s.s],
    pads: [s.p, s.p, s.p, s.p],
    outputPadding: [s.op, s.op],
    dilations: [s.d, s.d],
    group: s.g,
  });
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: numThreads,
  });
  const input = new ort.Tensor('float32', data.x.data, data.x.shape);
  const feeds = { x: input };
  return {
    async run() {
      const out = await session.run(feeds);
      const y = out.y;
      const d = y.data as Float32Array;
      y.dispose?.();
      return d;
    },
    async release() { await session.release(); },
  };
}
