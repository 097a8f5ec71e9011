// `npm run demo`: copies the built package's entry (dist/convtranspose-wasm.js) into docs/lib/ so docs/ is a complete static
// site (the page imports 'convtranspose-wasm' through an import map), then serves docs/ on
// localhost. Flags: --build-only (copy, don't serve), --port N (default 8080), --isolated (send
// COOP/COEP so the page is cross-origin isolated).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (!existsSync(join(root, 'dist', 'convtranspose-wasm.js'))) throw new Error('dist/ is missing: run `npm run build` first');
const lib = join(root, 'docs', 'lib');
rmSync(lib, { recursive: true, force: true });
cpSync(join(root, 'dist', 'convtranspose-wasm.js'), join(lib, 'convtranspose-wasm.js'));
console.log('copied dist/convtranspose-wasm.js to docs/lib/');
if (!args.includes('--build-only')) {
  const port = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 8080;
  const s = await serve({ root: join(root, 'docs'), port, isolated: args.includes('--isolated') });
  console.log(`explainer page: ${s.url}  (Ctrl-C to stop)`);
}
