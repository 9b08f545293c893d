/**
 * `npm run web`: build the page (build.ts) and serve web/dist/ on http://localhost:5173 (or
 * PORT) until stopped. A tiny static server rather than a dev-server package: it only has to
 * send files with the right types and the two headers that make the page cross-origin isolated
 * (COOP same-origin + COEP require-corp), which shared-memory threads need; FNF_WEB_ISOLATE=0
 * leaves them out (the page then runs on one thread and says so).
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { buildWeb } from './build.js';
import { runAsScript } from './run-as-script.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
};

export interface ServeOptions {
  root: string;
  port: number;
  host?: string;
  /** Send COOP/COEP (default true). */
  isolate?: boolean;
}

/** Serve `root`; resolves once listening, with the port actually bound (port 0: a free one). */
export function serveStatic(o: ServeOptions): Promise<{ server: Server; port: number }> {
  const root = resolve(o.root);
  const server = createServer(async (req, res) => {
    const headers: Record<string, string> = { 'Cache-Control': 'no-cache' };
    if (o.isolate ?? true) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      // a malformed escape (%E0%A4%A) is that request's error, not the server's end
      res.writeHead(400, { ...headers, 'Content-Type': 'text/plain' }).end('bad request: malformed URL');
      return;
    }
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, headers).end('forbidden');
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host ?? '127.0.0.1', () => {
      const a = server.address();
      ok({ server, port: typeof a === 'object' && a ? a.port : o.port });
    });
  });
}

export function portFromEnv(env: string | undefined = process.env.PORT): number {
  if (env === undefined || env.trim() === '') return 5173;
  const p = Number(env);
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`PORT: expected a port number 0–65535, got '${env}'`);
  return p;
}

/** FNF_WEB_ISOLATE: unset or 1 sends COOP/COEP, 0 leaves them out; another value is refused, not guessed. */
export function isolateFromEnv(env: string | undefined = process.env.FNF_WEB_ISOLATE): boolean {
  if (env === undefined || env.trim() === '' || env.trim() === '1') return true;
  if (env.trim() === '0') return false;
  throw new Error(`FNF_WEB_ISOLATE: expected 0 (no COOP/COEP headers: one thread) or 1 (the default), got '${env}'`);
}

async function main(): Promise<void> {
  const isolate = isolateFromEnv(); // before the build: a typo should not wait for it
  const port = portFromEnv();
  const { outDir, files } = await buildWeb();
  const js = ['main.js', 'engine.js', 'pool-worker.js'].reduce((s, f) => s + (files[f] ?? 0), 0);
  const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  const models = Object.entries(files).filter(([f]) => f.startsWith('models/'));
  process.stdout.write(
    `built ${outDir}: scripts ${kib(js)}, wasm ${kib(files['kernels-simd.wasm'] ?? 0)} per build, ` +
      `models ${kib(models.reduce((s, [, b]) => s + b, 0))}\n`,
  );
  const served = await serveStatic({ root: outDir, port, host: 'localhost', isolate });
  process.stdout.write(
    `serving http://localhost:${served.port}${isolate ? '' : ' (not cross-origin isolated: one thread)'}; ` +
      'Ctrl-C stops\n',
  );
}

if (runAsScript(import.meta.url)) {
  main().catch((e) => {
    const inUse = (e as { code?: unknown }).code === 'EADDRINUSE';
    const hint = inUse ? ' (another server has it: PORT=0 npm run web picks a free port)' : '';
    process.stderr.write(`fnf web: ${e instanceof Error ? e.message : String(e)}${hint}\n`);
    process.exit(1);
  });
}
