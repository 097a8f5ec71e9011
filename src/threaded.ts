// The asynchronous calls: a checked call spread over the engine's thread pool, or run on the
// calling thread where there is no pool or the work is too small to gain from one (it then
// resolves with its result directly, with no extra promise hop).
import { Engine, PackedWeights } from './engine.js';
import { layoutOf, choosePath } from './plan.js';
import { poolOf, Pool } from './pool.js';
import { ConvInfo } from './shape.js';
import { Tensor, resultTensor } from './tensor.js';
import { inputStepRows, rowsFor, worthThreads } from './split.js';

/** Runs the layer with packed weights on every thread of `pool`; resolves with the result tensor. */
async function forwardOn(pool: Pool, info: ConvInfo, input: Float32Array, packed: PackedWeights): Promise<Tensor> {
  const call = pool.engine.prepareThreaded(info, input, packed, pool.threads, rowsFor(info, pool.threads),
                                           inputStepRows(info));
  try {
    await pool.dispatch(call);
  } catch (e) {
    call.free();
    throw e;
  }
  return resultTensor(call.finish(), info.outputShape);
}

/** The pool to spread `info` over, or null to run it on the calling thread (also if a worker died). */
function poolFor(engine: Engine, info: ConvInfo): Pool | null {
  const pool = poolOf(engine);
  if (pool?.failure) return null;
  const outLen = info.n * info.cout * info.oh * info.ow;
  return pool && outLen > 0 && worthThreads(info, pool.threads) ? pool : null;
}

/** The functional call (pack, run, release) on the pool. Arguments are read before it returns. */
export function callAsync(engine: Engine, info: ConvInfo, input: Float32Array, weight: Float32Array,
                          bias: Float32Array | null): Promise<Tensor> {
  const pool = poolFor(engine, info);
  if (!pool) return Promise.resolve(resultTensor(engine.call(info, input, weight, bias), info.outputShape));
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
      return await forwardOn(pool, info, input, packed); // released once the call is done
    } finally {
      engine.release(packed);
    }
  });
}

/** A module's forward on the pool, with weights it packed; they stay allocated until the call ends. */
export function forwardAsync(engine: Engine, info: ConvInfo, input: Float32Array, packed: PackedWeights): Promise<Tensor> {
  const pool = poolFor(engine, info);
  if (!pool) return Promise.resolve(resultTensor(engine.forward(info, input, packed), info.outputShape));
  if (pool.pending) input = input.slice();
  engine.pin(packed);
  return pool.schedule(() => forwardOn(pool, info, input, packed)).finally(() => engine.unpin(packed));
}
