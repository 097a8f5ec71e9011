// Runtime-neutral golden runner: the same file runs in Node, Deno, Bun, workerd and Chromium.
// It receives the installed package's namespace (import * as lib from 'convtranspose-wasm') and
// the golden cases, and returns { passed, failed, failures, variant, threads, threaded, ... }.
// Uses nothing but ECMAScript and WebAssembly, so no runtime's missing API can hide in here.

const TOL = 1e-4;

function optionsOf(c) {
  const p = c.params;
  const o = { stride: p.stride, padding: p.padding, outputPadding: p.output_padding,
    groups: p.groups, dilation: p.dilation };
  if (c.output_size) o.outputSize = c.output_size;
  return o;
}

function tensors(c) {
  return [
    { data: Float32Array.from(c.input), shape: c.input_shape },
    { data: Float32Array.from(c.weight), shape: c.weight_shape },
    c.bias ? { data: Float32Array.from(c.bias), shape: [c.bias.length] } : null,
  ];
}

/** null when out matches the case, else a message. */
function compare(c, out) {
  if (JSON.stringify(Array.from(out.shape)) !== JSON.stringify(c.output_shape)) {
    return `shape ${JSON.stringify(Array.from(out.shape))}, expected ${JSON.stringify(c.output_shape)}`;
  }
  if (out.data.length !== c.output.length) return `length ${out.data.length}, expected ${c.output.length}`;
  for (let i = 0; i < c.output.length; i++) {
    const e = c.output[i];
    if (!(Math.abs(out.data[i] - e) <= TOL * (1 + Math.abs(e)))) return `output[${i}] = ${out.data[i]}, expected ${e}`;
  }
  return null;
}

/**
 * Runs every golden case through convTranspose2d (the calling thread), and, when the package
 * exports convTranspose2dAsync, the first `asyncCases` cases again through it after
 * init({ threads }). Each case run is one test.
 */
export async function runCases(lib, cases, { threads = 2, asyncCases = 8 } = {}) {
  const result = { passed: 0, failed: 0, failures: [], variant: null, threads: 1,
    asyncExported: typeof lib.convTranspose2dAsync === 'function', threadedRuns: 0,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    crossOriginIsolated: globalThis.crossOriginIsolated ?? null };
  const fail = (name, msg) => { result.failed++; if (result.failures.length < 20) result.failures.push(`${name}: ${msg}`); };
  const t0 = Date.now();
  let info;
  try {
    info = await lib.init(result.asyncExported ? { threads } : {});
  } catch (e) {
    fail('init', String(e && e.stack || e));
    return result;
  }
  result.variant = info.variant;
  result.threads = info.threads;
  if (info.fallback) result.fallback = info.fallback;
  for (const c of cases) {
    try {
      const [x, w, b] = tensors(c);
      const msg = compare(c, lib.convTranspose2d(x, w, b, optionsOf(c)));
      if (msg) fail(c.name, msg); else result.passed++;
    } catch (e) {
      fail(c.name, String(e && e.message || e));
    }
  }
  if (result.asyncExported) {
    for (const c of cases.slice(0, asyncCases)) {
      try {
        const [x, w, b] = tensors(c);
        const msg = compare(c, await lib.convTranspose2dAsync(x, w, b, optionsOf(c)));
        if (msg) fail(`async ${c.name}`, msg); else { result.passed++; result.threadedRuns++; }
      } catch (e) {
        fail(`async ${c.name}`, String(e && e.message || e));
      }
    }
  }
  result.ms = Date.now() - t0;
  return result;
}
