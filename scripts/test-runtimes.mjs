// `npm run test:runtimes`: packs the package with `npm pack`, installs that tarball into a fresh
// folder (build/runtimes/app), and runs the golden cases there, importing 'convtranspose-wasm'
// by name, in each real runtime:
//   node, deno, bun (npm packages), workerd (npm package; a worker serving one request),
//   headless Chromium (Debian's chromium driven by playwright-core) on a localhost page with and
//   without COOP/COEP, an esbuild bundle of the same page, and the explainer page (docs/).
// Each runtime reports its pass count; the totals go to build/runtimes-results.json, and the
// process exits non-zero when anything failed. Screenshots land in build/screenshots/.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const work = join(root, 'build', 'runtimes');
const app = join(work, 'app');
const shots = join(root, 'build', 'screenshots');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const want = (name) => only.length === 0 || only.includes(name);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

const results = [];
function record(name, r, note = '') {
  results.push({ name, passed: r.passed ?? 0, failed: r.failed ?? 0, note, detail: r });
  const extra = r.variant ? ` [${r.variant}, threads ${r.threads}${r.asyncExported ? `, ${r.threadedRuns} convTranspose2dAsync runs` : ', no convTranspose2dAsync export'}]` +
    (r.fallback ? ` (one thread: ${r.fallback})` : '') : '';
  console.log(`${r.failed ? 'FAIL' : 'ok  '} ${name}: ${r.passed ?? 0} passed, ${r.failed ?? 0} failed${extra}${note ? ' ' + note : ''}`);
  for (const f of r.failures ?? []) console.log(`       ${f}`);
}
async function step(name, fn, always = false) {
  if (!always && !want(name.split(' ')[0])) return;
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    record(name, { passed: 0, failed: 1, failures: [String(e && e.stack || e).slice(0, 2000)] });
  }
  if (process.env.VERBOSE) console.log(`     (${name}: ${Date.now() - t0} ms)`);
}

function run(cmd, args, { cwd = app, timeout = 180_000, env } = {}) {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeout);
    p.on('error', fail);
    p.on('close', (code) => { clearTimeout(timer); ok({ code, out, err }); });
  });
}
function parseResult(name, { code, out, err }) {
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${name} exited ${code} without a result\n${out.slice(-1500)}\n${err.slice(-1500)}`);
  return JSON.parse(line.slice(7));
}
const freePort = () => new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

// ---- 1. pack and install into a fresh folder --------------------------------------------------
rmSync(work, { recursive: true, force: true });
mkdirSync(app, { recursive: true });
mkdirSync(shots, { recursive: true });
const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work],
  { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))[0];
const tarball = join(work, packed.filename);

await step('pack', async () => {
  const files = packed.files.map((f) => f.path);
  const problems = [];
  const allowed = /^(dist\/.+\.(js|d\.ts|wasm)|package\.json|README\.md|LICENSE(\.\w+)?)$/;
  for (const f of files) if (!allowed.test(f)) problems.push(`unexpected file in tarball: ${f}`);
  for (const need of ['dist/convtranspose-wasm.js', 'dist/index.d.ts', 'dist/workerd.js', 'package.json']) {
    if (!files.includes(need)) problems.push(`tarball lacks ${need}`);
  }
  if (!files.some((f) => f.endsWith('.wasm'))) problems.push('tarball holds no .wasm file');
  if (existsSync(join(root, 'README.md')) && !files.includes('README.md')) problems.push('tarball lacks README.md');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const k of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    if (pkg[k] && Object.keys(pkg[k]).length) problems.push(`package.json has runtime ${k}: ${Object.keys(pkg[k]).join(', ')}`);
  }
  if (packed.unpackedSize > 384 * 1024) problems.push(`unpacked size ${packed.unpackedSize} B is over 384 KiB`);
  for (const f of packed.files) if (f.size > 160 * 1024) problems.push(`${f.path} is ${f.size} B`);
  const note = `(${files.length} files, ${packed.size} B packed, ${packed.unpackedSize} B unpacked${files.includes('README.md') ? '' : '; no README.md in the repo yet'})`;
  record('pack', { passed: problems.length ? 0 : 1, failed: problems.length ? 1 : 0, failures: problems }, note);
});

writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'runtime-tests', private: true, type: 'module' }, null, 2));
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball],
  { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
for (const f of readdirSync(join(root, 'test', 'runtimes'))) cpSync(join(root, 'test', 'runtimes', f), join(app, f));
const golden = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'convtranspose2d.json'), 'utf8'));
writeFileSync(join(app, 'cases.js'), `export default ${JSON.stringify(golden.cases)};\n`);
console.log(`installed ${packed.filename} into ${app} (${golden.cases.length} golden cases per runtime)`);

// ---- 2. Node, Deno, Bun -----------------------------------------------------------------------
await step('node', async () => record(`node ${process.version}`, parseResult('node', await run(process.execPath, ['cli.js']))));
await step('deno', async () => {
  const version = execFileSync(bin('deno'), ['--version'], { encoding: 'utf8' }).split('\n')[0];
  record(version, parseResult('deno', await run(bin('deno'), ['run', '--quiet', '--no-prompt', 'cli.js'], { env: { DENO_NO_UPDATE_CHECK: '1' } })));
});
await step('bun', async () => {
  const version = execFileSync(bin('bun'), ['--version'], { encoding: 'utf8' }).trim();
  record(`bun ${version}`, parseResult('bun', await run(bin('bun'), ['cli.js'])));
});

// ---- 3. workerd: no bundler, modules listed as wrangler would (package "workerd" export) ------
await step('workerd', async () => {
  const pkgDir = join(app, 'node_modules', 'convtranspose-wasm');
  const entry = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).exports['.'].workerd;
  if (!entry) throw new Error('package.json exports["."] has no "workerd" condition');
  const entryDir = dirname(join(pkgDir, entry));
  const wasmImports = [...readFileSync(join(pkgDir, entry), 'utf8').matchAll(/from\s+["'](\.\/[^"']+\.wasm)["']/g)].map((m) => m[1]);
  const port = await freePort();
  const modules = [
    `(name = "worker.js", esModule = embed "worker.js")`,
    `(name = "cases.js", esModule = embed "cases.js")`,
    `(name = "run-cases.js", esModule = embed "run-cases.js")`,
    `(name = "convtranspose-wasm", esModule = embed "${relative(app, join(pkgDir, entry))}")`,
    ...wasmImports.map((w) => `(name = "${w.slice(2)}", wasm = embed "${relative(app, join(entryDir, w))}")`),
  ];
  writeFileSync(join(app, 'workerd.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .testWorker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const testWorker :Workerd.Worker = (
  modules = [
    ${modules.join(',\n    ')}
  ],
  compatibilityDate = "2024-09-23",
);
`);
  const proc = spawn(bin('workerd'), ['serve', 'workerd.capnp'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  try {
    let res;
    for (let i = 0; ; i++) {
      try { res = await fetch(`http://127.0.0.1:${port}/`); break; } catch (e) {
        if (i > 150 || proc.exitCode !== null) throw new Error(`workerd did not answer: ${log.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`workerd answered ${res.status}: ${text.slice(0, 2000)}\n${log.slice(-2000)}`);
    const version = execFileSync(bin('workerd'), ['--version'], { encoding: 'utf8' }).trim();
    record(version, JSON.parse(text));
  } finally {
    proc.kill('SIGTERM');
  }
});

// ---- 4. Chromium: plain page (import map, no bundler) with and without isolation, a bundle,
//         and the explainer page -------------------------------------------------------------
async function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} is missing; install Debian's chromium package`);
  console.log('installing Debian chromium (apt-get)…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const browserSteps = ['chromium', 'bundle', 'explainer'];
if (browserSteps.some(want)) {
  let browser;
  await step('chromium-setup', async () => {
    await ensureChromium();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  }, true);
  const open = async (url, shot) => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(url);
    try {
      await page.waitForFunction(() => window.__result, null, { timeout: 120_000 });
    } catch (e) {
      throw new Error(`no result from ${url}: ${errors.join('\n') || e}`);
    }
    const r = await page.evaluate(() => window.__result);
    if (shot) await page.screenshot({ path: join(shots, shot), fullPage: true });
    await page.close();
    return r;
  };
  if (browser) {
    const chromeVersion = browser.version();
    await step('chromium', async () => {
      for (const isolated of [false, true]) {
        const s = await serve({ root: app, isolated });
        try {
          const r = await open(s.url + 'page.html', `chromium-${isolated ? 'isolated' : 'plain'}.png`);
          if (r.crossOriginIsolated !== isolated) { r.failed++; r.failures.push(`crossOriginIsolated is ${r.crossOriginIsolated}, expected ${isolated}`); }
          if (!isolated && r.threads > 1) { r.failed++; r.failures.push(`threads ${r.threads} without cross-origin isolation`); }
          // With isolation the worker pool must really run (once the package has the threaded API).
          if (isolated && r.asyncExported && !(r.threads > 1)) { r.failed++; r.failures.push(`init({ threads: 2 }) gave ${r.threads} thread(s) on a cross-origin isolated page: ${r.fallback}`); }
          record(`chromium ${chromeVersion} ${isolated ? 'COOP/COEP' : 'plain HTTP'}`, r);
        } finally { await s.close(); }
      }
    });
    await step('bundle', async () => {
      const { build } = await import('esbuild');
      await build({ entryPoints: [join(app, 'browser.js')], bundle: true, format: 'esm', platform: 'browser',
        outfile: join(app, 'bundle.js'), logLevel: 'warning', absWorkingDir: app });
      const s = await serve({ root: app, isolated: true });
      try {
        record(`chromium ${chromeVersion} esbuild bundle`, await open(s.url + 'bundled.html', 'chromium-bundle.png'));
      } finally { await s.close(); }
    });
    await step('explainer', async () => {
      const s = await serve({ root: join(root, 'docs'), mounts: { '/lib/': join(app, 'node_modules', 'convtranspose-wasm', 'dist') } });
      try {
        const r = await checkExplainer(browser, s.url);
        record(`chromium ${chromeVersion} explainer page`, r, '(build/screenshots/explainer*.png)');
      } finally { await s.close(); }
    });
    await browser.close();
  }
}

// The explainer opens with the worked example: its output cells must be on the page and match
// the golden case; then an edit (stride 2) must recompute and still agree with the reference.
async function checkExplainer(browser, url) {
  const r = { passed: 0, failed: 0, failures: [] };
  const check = (ok, what) => { if (ok) r.passed++; else { r.failed++; r.failures.push(what); } };
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.__explainer?.ready, null, { timeout: 60_000 }).catch(() => {});
  const state = await page.evaluate(() => window.__explainer ?? null);
  check(state?.ready, `page did not render: ${errors.join('; ')}`);
  if (!state?.ready) { await page.screenshot({ path: join(shots, 'explainer.png'), fullPage: true }); await page.close(); return r; }
  const worked = golden.cases[0];
  const cells = await page.$$eval('[data-out]', (els) => els.map((e) => [e.dataset.out, e.textContent.trim()]));
  check(cells.length === worked.output.length, `${cells.length} output cells on the page, expected ${worked.output.length}`);
  let bad = 0;
  for (const [key, text] of cells) {
    const [c, y, x] = key.split(',').map(Number);
    const e = worked.output[(c * 5 + y) * 6 + x];
    if (!(Math.abs(Number(text) - e) <= 1e-3 * (1 + Math.abs(e)))) bad++;
  }
  check(cells.length > 0 && bad === 0, `${bad} output cells differ from the golden worked example`);
  const row0 = cells.filter(([k]) => k.startsWith('0,0,')).map(([, t]) => t).join(' ');
  check(row0 === '0.1 0.4 1 1.6 1.7 1.2', `channel 0 row 0 shows "${row0}", expected "0.1 0.4 1 1.6 1.7 1.2"`);
  check(state.variant && state.matchesReference, `WebAssembly vs reference: ${JSON.stringify(state)}`);
  const formula = await page.textContent('#formula');
  check(/5/.test(formula) && /6/.test(formula), `size formula does not show 5 and 6: ${formula}`);
  await page.screenshot({ path: join(shots, 'explainer.png'), fullPage: true });
  // An edit: stride 2 gives (2-1)*2+4 = 6 by (3-1)*2+4 = 8.
  await page.fill('#stride', '2');
  await page.dispatchEvent('#stride', 'input');
  await page.waitForFunction(() => window.__explainer?.outputShape?.join('x') === '1x3x6x8', null, { timeout: 10_000 }).catch(() => {});
  const after = await page.evaluate(() => window.__explainer);
  check(after.outputShape?.join('x') === '1x3x6x8' && after.matchesReference, `after stride=2: ${JSON.stringify(after)}`);
  await page.screenshot({ path: join(shots, 'explainer-stride2.png'), fullPage: true });
  // Padding 1 cuts one row and column from each side, output padding 1 adds one back at the
  // bottom and right: (2-1)*2 - 2 + 3 + 1 + 1 = 5 by (3-1)*2 - 2 + 3 + 1 + 1 = 7.
  await page.fill('#padding', '1');
  await page.fill('#outputPadding', '1');
  await page.waitForFunction(() => window.__explainer?.outputShape?.join('x') === '1x3x5x7', null, { timeout: 10_000 }).catch(() => {});
  const padded = await page.evaluate(() => window.__explainer);
  const hatched = await page.$$eval('#canvas td.cropped', (els) => els.length);
  check(padded.outputShape?.join('x') === '1x3x5x7' && padded.matchesReference && hatched > 0,
    `after padding=1, output padding=1: ${JSON.stringify(padded)}, ${hatched} hatched cells`);
  await page.screenshot({ path: join(shots, 'explainer-padding.png'), fullPage: true });
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await page.close();
  return r;
}

// ---- 5. size budgets (scripts/size.mjs) -----------------------------------------------------
await step('size', async () => {
  const r = await run(process.execPath, [join(root, 'scripts', 'size.mjs')], { cwd: root });
  const lines = r.out.trim().split('\n');
  const totals = lines.filter((l) => /total/.test(l)).map((l) => l.replace(/\s+/g, ' ').trim()).join('; ');
  record('size budgets', { passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1,
    failures: r.code === 0 ? [] : lines.filter((l) => l.startsWith('OVER')).concat(r.err ? [r.err.slice(-500)] : []) }, `(${totals})`);
});

// ---- summary ----------------------------------------------------------------------------------
const passed = results.reduce((s, r) => s + r.passed, 0);
const failed = results.reduce((s, r) => s + r.failed, 0);
writeFileSync(join(root, 'build', 'runtimes-results.json'), JSON.stringify({ numPassedTests: passed, numFailedTests: failed,
  runtimes: results.map(({ name, passed, failed, note, detail }) => ({ name, passed, failed, note,
    variant: detail.variant, threads: detail.threads, fallback: detail.fallback, asyncExported: detail.asyncExported,
    threadedRuns: detail.threadedRuns })) }, null, 2));
console.log(`runtimes: ${passed} passed, ${failed} failed`);
process.exit(failed || results.length === 0 ? 1 : 0);
