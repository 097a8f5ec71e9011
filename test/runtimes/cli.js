// Node, Deno and Bun entry: imports the installed tarball by its package name, runs the golden
// cases and prints one line `RESULT {json}`.
import * as lib from 'convtranspose-wasm';
import cases from './cases.js';
import { runCases } from './run-cases.js';

const result = await runCases(lib, cases);
console.log('RESULT ' + JSON.stringify(result));
// A worker pool may keep the event loop alive; the run is over.
if (globalThis.Deno) globalThis.Deno.exit(0); else globalThis.process.exit(0);
