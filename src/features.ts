// Feature probes: each is a tiny module that only validates where the feature exists. They are
// validated (never instantiated), so detection costs microseconds and guesses nothing.

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1
const TYPE_VOID_TO_V128 = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b]; // type section: () -> v128
const ONE_FUNC = [0x03, 0x02, 0x01, 0x00]; // function section: one function of type 0

// (func (result v128) (i32x4.splat (i32.const 0)))
const SIMD = [...HEADER, ...TYPE_VOID_TO_V128, ...ONE_FUNC,
  0x0a, 0x08, 0x01, 0x06, 0x00, // code section: one body of 6 bytes, no locals
  0x41, 0x00, 0xfd, 0x11, // i32.const 0; i32x4.splat
  0x0b]; // end

// (func (result v128) (f32x4.relaxed_madd (splat 0) (splat 0) (splat 0)))
const RELAXED_SIMD = [...HEADER, ...TYPE_VOID_TO_V128, ...ONE_FUNC,
  0x0a, 0x13, 0x01, 0x11, 0x00, // code section: one body of 17 bytes, no locals
  0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, // three i32x4.splat 0
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 261)
  0x0b]; // end

// (module (memory 1 1 shared) (func (drop (i32.atomic.load (i32.const 0)))))
const THREADS = [...HEADER,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
  0x03, 0x02, 0x01, 0x00, // function section
  0x05, 0x04, 0x01, 0x03, 0x01, 0x01, // memory section: one memory, flags 3 (shared, has max), 1..1 pages
  0x0a, 0x0b, 0x01, 0x09, 0x00, // code section: one body of 9 bytes
  0x41, 0x00, 0xfe, 0x10, 0x02, 0x00, // i32.const 0; i32.atomic.load align=4 offset=0
  0x1a, 0x0b]; // drop; end

function validates(bytes: number[]): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(new Uint8Array(bytes));
  } catch {
    return false;
  }
}

export interface Features {
  simd: boolean;
  relaxedSimd: boolean;
  /** Shared-memory atomics validate and SharedArrayBuffer can be used (cross-origin isolated pages). */
  threads: boolean;
}

let cached: Features | undefined;

export function detectFeatures(): Features {
  if (cached) return cached;
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  const sab = typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
  cached = {
    simd: validates(SIMD),
    relaxedSimd: validates(RELAXED_SIMD),
    threads: sab && validates(THREADS),
  };
  return cached;
}

/**
 * Why WebAssembly threads cannot run here, or null when they can: shared memory needs
 * SharedArrayBuffer, which browsers give only to cross-origin isolated pages. Checked afresh on
 * every call (a page's isolation does not change, but tests replace the globals).
 */
export function threadsUnavailable(): string | null {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean; Atomics?: unknown };
  if (g.crossOriginIsolated === false) {
    return 'this page is not cross-origin isolated, so SharedArrayBuffer is off (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (typeof g.SharedArrayBuffer !== 'function' || typeof g.Atomics !== 'object') {
    return 'this runtime has no SharedArrayBuffer/Atomics, which shared WebAssembly memory needs';
  }
  if (!validates(THREADS)) return 'this runtime does not support WebAssembly threads (shared memory and atomics)';
  return null;
}
