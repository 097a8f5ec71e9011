// workerd (Cloudflare Workers) entry: one request runs the golden cases and answers with the
// result as JSON. 'convtranspose-wasm' resolves to the package's "workerd" export.
import * as lib from 'convtranspose-wasm';
import cases from './cases.js';
import { runCases } from './run-cases.js';

export default {
  async fetch() {
    return new Response(JSON.stringify(await runCases(lib, cases)), { headers: { 'content-type': 'application/json' } });
  },
};
