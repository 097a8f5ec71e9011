// A tiny static file server (node:http only) for the explainer page and the browser tests.
// serve({ root, port, isolated, mounts }) -> Promise<{ url, close }>
//   isolated: send COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer, threads).
//   mounts: { '/lib/': '/abs/dir' } serves a URL prefix from another folder.
// As a command: node scripts/serve.mjs [dir] [--port N] [--isolated]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.ts': 'text/plain; charset=utf-8', '.map': 'application/json',
};

export function serve({ root, port = 0, host = '127.0.0.1', isolated = false, mounts = {} }) {
  const bases = [...Object.entries(mounts).map(([p, d]) => [p, resolve(d)]), ['/', resolve(root)]];
  const server = createServer(async (req, res) => {
    const headers = { 'cache-control': 'no-store' };
    if (isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
      headers['cross-origin-resource-policy'] = 'same-origin';
    }
    try {
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const [prefix, dir] = bases.find(([p]) => path.startsWith(p));
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (file !== dir && !file.startsWith(dir + sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      if ((await stat(file)).isDirectory()) { res.writeHead(301, { location: path + '/' }); res.end(); return; }
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch (e) {
      res.writeHead(e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 404 : 500, { ...headers, 'content-type': 'text/plain' });
      res.end(String(e.code ?? e));
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const a = server.address();
      ok({ url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${a.port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const port = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 8080;
  const root = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--port') ?? '.';
  const s = await serve({ root, port, isolated: args.includes('--isolated') });
  console.log(`serving ${resolve(root)} at ${s.url}${args.includes('--isolated') ? ' (cross-origin isolated)' : ''}`);
}
