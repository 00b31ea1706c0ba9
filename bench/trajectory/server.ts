/**
 * A small static server for the browser benchmark, with the cross-origin-isolation headers WASM
 * threads need (COOP same-origin, COEP require-corp, CORP same-origin) on every response.
 *
 *   /                    bench/trajectory/browser/index.html
 *   /type                bench/trajectory/browser/type.html (type into GPT-2-shaped weights and see each update's time)
 *   /bundle/…            bench/out/browser/… (esbuild's output, see browser.ts)
 *   /ort/…               node_modules/onnxruntime-web/dist/… (ort-wasm-simd-threaded.asyncify.{mjs,wasm})
 *   /tokenizers/gpt2/…   public/tokenizers/gpt2/… (npm run prepare-assets)
 *
 * By hand: `npx tsx bench/trajectory/server.ts [port] [--bundle]` (--bundle makes the bundle first, as npm run bench -- --browser does).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const ROUTES: [prefix: string, folder: string][] = [
  ['/bundle/', 'bench/out/browser'],
  ['/ort/', 'node_modules/onnxruntime-web/dist'],
  ['/tokenizers/gpt2/', 'public/tokenizers/gpt2'],
  ['/models/random-gpt2/', 'bench/out/random-gpt2'],
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

function resolvePath(pathname: string): string | undefined {
  if (pathname === '/' || pathname === '/index.html') return join(ROOT, 'bench/trajectory/browser/index.html');
  if (pathname === '/type') return join(ROOT, 'bench/trajectory/browser/type.html');
  for (const [prefix, folder] of ROUTES) {
    if (!pathname.startsWith(prefix)) continue;
    const base = join(ROOT, folder);
    const file = normalize(join(base, decodeURIComponent(pathname.slice(prefix.length))));
    return file.startsWith(base + '/') ? file : undefined;
  }
  return undefined;
}

export async function startServer(port = 0): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    response.setHeader('Cache-Control', 'no-store');
    const file = resolvePath(new URL(request.url ?? '/', 'http://x').pathname);
    let size: number | undefined;
    try {
      size = file ? statSync(file).size : undefined;
    } catch {
      size = undefined;
    }
    if (!file || size === undefined) {
      response.statusCode = 404;
      response.end('not found');
      return;
    }
    response.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    response.setHeader('Content-Length', size);
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/`,
    server,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  if (process.argv.includes('--bundle')) await (await import('./browser.ts')).bundleBrowserEntry();
  const port = process.argv.slice(2).find((a) => /^\d+$/.test(a));
  const { url } = await startServer(Number(port ?? 0));
  console.log(`serving the trajectory benchmark page at ${url}?threads=2&T=16,64&runs=5, and the typing page at ${url}type`);
}
