// Row-major float32 tensors and the checks every entry point runs on them.
import { formatTensor } from './format.js';

export interface TensorLike {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

// Set while the library wraps a result it computed itself (length and shape agree by construction).
let trusted = false;

// Shape arrays the library froze itself (a Tensor's, an info record's output shape): they can be
// shared instead of copied. Any other array, frozen or not, is copied.
const shapes = new WeakSet<readonly number[]>();

/** `shape` itself if the library froze it, else a frozen copy (which it then shares). */
export function ownShape(shape: readonly number[]): readonly number[] {
  if (shapes.has(shape)) return shape;
  const own = Object.freeze([...shape]);
  shapes.add(own);
  return own;
}

export class Tensor implements TensorLike {
  readonly data: Float32Array;
  readonly shape: readonly number[];

  constructor(data: Float32Array, shape: readonly number[]) {
    if (!trusted) checkTensor('tensor', { data, shape });
    this.data = data;
    this.shape = ownShape(shape);
    // data and shape cannot be replaced (the values in data can be edited): a Tensor stays valid.
    Object.freeze(this);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** The tensor printed the way PyTorch prints it. */
  toString(): string {
    return formatTensor(this.data, this.shape);
  }
}

export function shapeString(shape: readonly unknown[]): string {
  return `[${shape.map((d) => String(d)).join(', ')}]`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an Array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

/**
 * Throws a TypeError unless `t` is a well-formed float32 tensor; returns its shape as numbers
 * (a copy, unless the shape is frozen and so cannot change under the caller).
 */
export function checkTensor(name: string, t: unknown): readonly number[] {
  if (t === null || typeof t !== 'object') {
    throw new TypeError(`${name} must be a Tensor or { data: Float32Array, shape: number[] }, got ${describe(t)}`);
  }
  const { data, shape } = t as { data?: unknown; shape?: unknown };
  if (!(data instanceof Float32Array)) {
    throw new TypeError(`${name}.data must be a Float32Array, got ${describe(data)}`);
  }
  if (!Array.isArray(shape)) {
    throw new TypeError(`${name}.shape must be an array of dimensions, got ${describe(shape)}`);
  }
  let numel = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new TypeError(`${name}.shape ${shapeString(shape)} must hold non-negative integers (dimension ${i} is ${String(d)})`);
    }
    numel *= d;
  }
  if (numel !== data.length) {
    throw new TypeError(`${name}.data has ${data.length} elements but ${name}.shape ${shapeString(shape)} needs ${numel}`);
  }
  return shapes.has(shape) ? shape as number[] : shape.slice() as number[];
}

type UnsafeAlloc = { allocUnsafeSlow?: (bytes: number) => Uint8Array };
const nodeBuffer = (globalThis as { Buffer?: UnsafeAlloc }).Buffer;

/** Floats from which a result array skips the zero-fill (below, a plain array is as fast or faster). */
const UNZEROED_FLOATS = 1 << 16;

/**
 * A new array of n floats for a result that is then written in full (every element, before the
 * array is returned). Where Node's (or Bun's) Buffer is there, a large one's memory is not zeroed
 * first: 2-4 MB results are then copied out of shared memory 30-40% faster. Elsewhere, and for
 * small results, a plain zeroed Float32Array.
 */
export function resultArray(n: number): Float32Array {
  const alloc = nodeBuffer?.allocUnsafeSlow;
  if (!alloc || n < UNZEROED_FLOATS) return new Float32Array(n);
  const bytes = alloc.call(nodeBuffer, n * 4);
  // Node's allocUnsafeSlow gives a buffer of its own, not a slice of a pool; anything else (a
  // polyfill that pools) gets a plain array, so a result never shares its ArrayBuffer.
  if (bytes.byteOffset !== 0 || bytes.buffer.byteLength !== n * 4) return new Float32Array(n);
  return new Float32Array(bytes.buffer, 0, n);
}

/** A Tensor for a result the library computed: skips the checks a user's tensor gets. */
export function resultTensor(data: Float32Array, shape: readonly number[]): Tensor {
  trusted = true;
  try {
    return new Tensor(data, shape);
  } finally {
    trusted = false;
  }
}
