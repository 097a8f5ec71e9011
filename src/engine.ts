// One instantiated kernel build over its own linear memory: lays out the buffers of a call,
// copies tensors in and the result out, and chooses which kernel path runs (all policy lives
// here, the WebAssembly only computes on the pointers and sizes it is given).
import { P_SLOTS, Pointers, writeParams } from './abi.js';
import { Arena, MAX_BYTES, PAGE, alignUp } from './memory.js';
import { Layout, Path, choosePath, layoutOf } from './plan.js';
import { ConvInfo } from './shape.js';

export type Variant = 'relaxed-simd' | 'simd128';

/** What every kernel build exports (assembly/index.ts). */
interface KernelExports {
  paramSlots(): number;
  heapBase(): number;
  packedBytes(p: number, layout: Layout): number;
  pack(p: number, layout: Layout): void;
  [path: string]: unknown;
}

/** Weights packed in an engine's memory; valid until released. */
export interface PackedWeights {
  readonly engine: Engine;
  readonly layout: Layout;
  readonly at: number;
  readonly bytes: number;
}

/** A kernel path's three exports: scratch size, work-item count, run over an item range. */
interface PathExports {
  scratch(p: number): number;
  items(p: number): number;
  run(p: number, begin: number, end: number): void;
}

// The input buffer gets this much slack: tiles read a full 8-float row past the last pixel they use.
const INPUT_SLACK = 32;

/**
 * Memory with the 4 GiB maximum the builds declare: engines then need no bounds check per access.
 * Runtimes that cannot reserve that much get a smaller maximum (the module accepts any up to it).
 */
function createMemory(): WebAssembly.Memory {
  for (const maximum of [65536, 16384, 4096]) {
    try {
      return new WebAssembly.Memory({ initial: 2, maximum });
    } catch {
      // try a smaller reservation
    }
  }
  return new WebAssembly.Memory({ initial: 2, maximum: 1024 });
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export class Engine {
  readonly variant: Variant;
  readonly memory: WebAssembly.Memory;
  private readonly k: KernelExports;
  private readonly arena: Arena;
  private readonly params: number;

  private constructor(variant: Variant, memory: WebAssembly.Memory, exports: KernelExports) {
    this.variant = variant;
    this.memory = memory;
    this.k = exports;
    if (exports.paramSlots() !== P_SLOTS) {
      throw new Error(`kernel build ${variant} has a parameter block of ${exports.paramSlots()} slots, src/abi.ts expects ${P_SLOTS}`);
    }
    this.arena = new Arena(memory, exports.heapBase() >>> 0);
    this.params = this.arena.alloc(P_SLOTS * 4);
  }

  private path(name: Path): PathExports {
    const k = this.k as unknown as Record<string, (...a: number[]) => number>;
    return {
      scratch: (p) => k[`${name}ScratchBytes`](p) >>> 0,
      items: (p) => k[`${name}Items`](p),
      run: (p, b, e) => { k[`${name}Run`](p, b, e); },
    };
  }

  static async create(variant: Variant, module: WebAssembly.Module): Promise<Engine> {
    const memory = createMemory();
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new Engine(variant, memory, instance.exports as unknown as KernelExports);
  }

  /** Bytes of linear memory, for tests and diagnostics. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * An upper bound of the packed-weight bytes (bias padded, channel blocks padded by at most 7),
   * checked before asking the kernel, whose 32-bit size arithmetic must not overflow.
   */
  private packedBound(info: ConvInfo): number {
    const coutg = info.cout / info.groups;
    return 4 * (info.cout + 4 + info.groups * (coutg + 7) * (info.cin / info.groups) * info.kh * info.kw);
  }

  /** Throws a RangeError naming the sizes when the buffers cannot fit in 32-bit memory. */
  private checkFits(what: Record<string, number>): void {
    const total = Object.values(what).reduce((a, b) => a + alignUp(b), 0);
    if (total > this.arena.available()) {
      const parts = Object.entries(what).map(([k, v]) => `${k} ${mib(v)}`).join(', ');
      throw new RangeError(`this call needs ${mib(total)} of WebAssembly memory (${parts}), more than the ${mib(this.arena.available())} a 32-bit module can still address (4 GiB limit)`);
    }
  }

  private block(info: ConvInfo, ptrs: Pointers): void {
    const view = new Int32Array(this.memory.buffer, this.params, P_SLOTS);
    writeParams(view, info, ptrs, Math.ceil(info.oh / info.sh));
  }

  private copyIn(data: Float32Array): number {
    const at = this.arena.alloc(data.byteLength);
    new Float32Array(this.memory.buffer, at, data.length).set(data);
    return at;
  }

  /** Packs weight (and bias) once into this engine's memory, in the layout a path reads. */
  pack(info: ConvInfo, weight: Float32Array, bias: Float32Array | null, layout: Layout): PackedWeights {
    this.checkFits({ 'packed weights': this.packedBound(info), weight: weight.byteLength, bias: bias?.byteLength ?? 0 });
    this.block(info, {});
    const bytes = this.k.packedBytes(this.params, layout) >>> 0;
    const temps: number[] = [];
    let at = 0;
    try {
      at = this.arena.alloc(bytes);
      const w = this.copyIn(weight);
      temps.push(w);
      const b = bias ? this.copyIn(bias) : 0;
      if (b) temps.push(b);
      this.block(info, { weight: w, bias: b, packed: at });
      this.k.pack(this.params, layout);
    } catch (e) {
      if (at) this.arena.release(at);
      throw e;
    } finally {
      temps.forEach((t) => this.arena.release(t));
    }
    return { engine: this, layout, at, bytes };
  }

  release(packed: PackedWeights): void {
    if (packed.engine === this) this.arena.release(packed.at);
  }

  /** Runs the layer on `input` with weights packed by pack(); returns a fresh output array. */
  forward(info: ConvInfo, input: Float32Array, packed: PackedWeights): Float32Array {
    const outLen = info.n * info.cout * info.oh * info.ow;
    const outBytes = outLen * 4;
    if (outLen === 0) return new Float32Array(0);
    const path = this.path(choosePath(info));
    if (packed.layout !== layoutOf(choosePath(info))) throw new Error('packed weights are in the wrong layout for this path');
    this.block(info, {});
    const scratch = path.scratch(this.params);
    this.checkFits({ input: input.byteLength + INPUT_SLACK, output: outBytes, scratch });
    const temps: number[] = [];
    try {
      const x = this.arena.alloc(input.byteLength + INPUT_SLACK);
      temps.push(x);
      new Float32Array(this.memory.buffer, x, input.length).set(input);
      const y = this.arena.alloc(outBytes);
      temps.push(y);
      const s = this.arena.alloc(scratch);
      temps.push(s);
      this.block(info, { x, y, packed: packed.at, scratch: s });
      path.run(this.params, 0, path.items(this.params));
      return new Float32Array(this.memory.buffer, y, outLen).slice();
    } finally {
      temps.forEach((t) => this.arena.release(t));
    }
  }

  /** The functional call: pack, run, release. */
  call(info: ConvInfo, input: Float32Array, weight: Float32Array, bias: Float32Array | null): Float32Array {
    const outBytes = info.n * info.cout * info.oh * info.ow * 4;
    this.checkFits({
      input: input.byteLength, weight: weight.byteLength, 'packed weights': this.packedBound(info),
      output: outBytes,
    });
    const packed = this.pack(info, weight, bias, layoutOf(choosePath(info)));
    try {
      return this.forward(info, input, packed);
    } finally {
      this.release(packed);
    }
  }
}

export { MAX_BYTES, PAGE };
