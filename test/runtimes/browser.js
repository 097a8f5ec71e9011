// Browser entry, loaded by page.html through <script type="module"> and an import map (no
// bundler), and bundled by esbuild into bundle.js for bundled.html. Publishes window.__result.
import * as lib from 'convtranspose-wasm';
import cases from './cases.js';
import { runCases } from './run-cases.js';

const out = document.getElementById('out');
runCases(lib, cases).then((r) => {
  out.textContent = `${r.passed} passed, ${r.failed} failed (${r.variant}, threads ${r.threads})\n` + r.failures.join('\n');
  window.__result = r;
}, (e) => {
  out.textContent = String(e && e.stack || e);
  window.__result = { passed: 0, failed: 1, failures: [String(e)] };
});
