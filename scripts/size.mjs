// `npm run size`: what the package weighs. Each WebAssembly build (dist/wasm/*.wasm, the same
// bytes the JavaScript embeds as base64), their total, and the JavaScript minified by esbuild:
// the library's own code (binaries left out) and the full single-file bundle a bundler would
// make from the package entry (binaries in, as base64). Gzip sizes alongside. Exits non-zero
// past the budgets: all WebAssembly under 64 KB, the JavaScript under 40 KB minified.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const KB = 1024, WASM_BUDGET = 64 * KB, JS_BUDGET = 40 * KB;
const kb = (n) => `${(n / KB).toFixed(1)} KB`;

const wasm = readdirSync(join(dist, 'wasm')).filter((f) => f.endsWith('.wasm'))
  .map((f) => ({ f, bytes: readFileSync(join(dist, 'wasm', f)) }));
let total = 0;
for (const { f, bytes } of wasm) {
  total += bytes.length;
  console.log(`wasm  ${f.padEnd(28)} ${String(bytes.length).padStart(7)} B  ${kb(bytes.length).padStart(9)}  (gzip ${kb(gzipSync(bytes).length)})`);
}
console.log(`wasm  total (${wasm.length} builds)${' '.repeat(Math.max(1, 13 - String(wasm.length).length))}${String(total).padStart(7)} B  ${kb(total).padStart(9)}  budget ${kb(WASM_BUDGET)}`);

async function bundle(entry, stubBinaries) {
  const r = await build({
    entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent',
    plugins: stubBinaries ? [{ name: 'stub', setup(b) {
      b.onResolve({ filter: /generated\/wasm\.js$/ }, () => ({ path: 'stub', namespace: 'stub' }));
      b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
        contents: [...readFileSync(join(dist, 'generated', 'wasm.js'), 'utf8').matchAll(/export const (\w+)/g)]
          .map(([, n]) => `export const ${n} = '';`).join('\n'), loader: 'js' }));
    } }] : [],
  });
  return r.outputFiles[0].contents;
}
const entries = ['index.js']; // the whole library: it imports every other module (the worker's source included)
let jsOnly = 0, jsFull = 0;
for (const e of entries) {
  const own = await bundle(join(dist, e), true), full = await bundle(join(dist, e), false);
  jsOnly += own.length; jsFull += full.length;
  console.log(`js    ${e.padEnd(28)} ${String(own.length).padStart(7)} B  ${kb(own.length).padStart(9)}  (gzip ${kb(gzipSync(own).length)}) minified, binaries left out; ` +
    `${kb(full.length)} (gzip ${kb(gzipSync(full).length)}) with the base64 binaries`);
}
console.log(`js    total minified${' '.repeat(14)}${String(jsOnly).padStart(7)} B  ${kb(jsOnly).padStart(9)}  budget ${kb(JS_BUDGET)}`);
const problems = [];
if (total >= WASM_BUDGET) problems.push(`WebAssembly ${total} B is over the ${WASM_BUDGET} B budget`);
if (jsOnly >= JS_BUDGET) problems.push(`JavaScript ${jsOnly} B minified is over the ${JS_BUDGET} B budget`);
for (const p of problems) console.log(`OVER BUDGET: ${p}`);
process.exit(problems.length ? 1 : 0);
