// The asynchronous calls: a checked call spread over the engine's thread pool, or run on the
// calling thread where there is no pool or the work is too small to gain from one.
import { Engine, PackedWeights } from './engine.js';
import { layoutOf, choosePath } from './plan.js';
import { poolOf, Pool } from './pool.js';
import { ConvInfo } from './shape.js';
import { rowsFor, worthThreads } from './split.js';

/** Runs the layer with packed weights on every thread of `pool`; resolves with a fresh output array. */
async function forwardOn(pool: Pool, info: ConvInfo, input: Float32Array, packed: PackedWeights): Promise<Float32Array> {
  const call = pool.engine.prepareThreaded(info, input, packed, pool.threads, rowsFor(info, pool.threads));
  try {
    await pool.dispatch(call);
  } catch (e) {
    call.free();
    throw e;
  }
  return call.finish();
}

/** The pool to spread `info` over, or null to run it on the calling thread (also if a worker died). */
function poolFor(engine: Engine, info: ConvInfo): Pool | null {
  const pool = poolOf(engine);
  if (pool?.failure) return null;
  const outLen = info.n * info.cout * info.oh * info.ow;
  return pool && outLen > 0 && worthThreads(info, pool.threads) ? pool : null;
}

/** Whether a call of `info` runs on the calling thread (no pool, a failed pool, or too little work). */
export function runsInline(engine: Engine, info: ConvInfo): boolean {
  return poolFor(engine, info) === null;
}

/** The functional call (pack, run, release) on the pool. Arguments are read before it returns. */
export function callAsync(engine: Engine, info: ConvInfo, input: Float32Array, weight: Float32Array,
                          bias: Float32Array | null): Promise<Float32Array> {
  const pool = poolFor(engine, info);
  if (!pool) return Promise.resolve(engine.call(info, input, weight, bias));
  engine.checkCall(info, input);
  // A queued call keeps copies: the caller may reuse its arrays once this returns.
  if (pool.pending) {
    input = input.slice();
    weight = weight.slice();
    bias = bias?.slice() ?? null;
  }
  return pool.schedule(async () => {
    const packed = engine.pack(info, weight, bias, layoutOf(choosePath(info)));
    try {
      return await forwardOn(pool, info, input, packed);
    } finally {
      engine.release(packed);
    }
  });
}

/** A module's forward on the pool, with weights it packed; they stay allocated until the call ends. */
export function forwardAsync(engine: Engine, info: ConvInfo, input: Float32Array, packed: PackedWeights): Promise<Float32Array> {
  const pool = poolFor(engine, info);
  if (!pool) return Promise.resolve(engine.forward(info, input, packed));
  if (pool.pending) input = input.slice();
  engine.pin(packed);
  return pool.schedule(() => forwardOn(pool, info, input, packed)).finally(() => engine.unpin(packed));
}
