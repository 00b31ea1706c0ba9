/**
 * Downloading a model and a lens over HTTP, as the page does from the hub or the site's /models/ folder:
 * a local node:http server stands in for the hub (our machines cannot reach it).
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lensSource, modelSource } from '../../src/cli/sources.ts';
import { DownloadError } from '../../src/lens/errors.ts';
import { hubLensUrl, hubModelUrl, lensIdForModel } from '../../src/lens/hub.ts';
import type { Progress } from '../../src/lens/io/source.ts';
import { DEFAULT_CACHE_NAME, UrlSource } from '../../src/lens/io/url-source.ts';
import { LensModel } from '../../src/lens/lens-model.ts';
import { TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import { loadModelFiles } from '../../src/lens/model/model-files.ts';
import { FIXTURES, fixturePath } from '../helpers/fixtures.ts';
import { loadExpected } from '../helpers/tiny-gpt2.ts';
import { expectClose } from '../helpers/tolerance.ts';
import { expectTrajectoryMatches, GPT2_TOKENIZER_DIR, trajectoryAsJson } from '../helpers/trajectory.ts';

/**
 * Serves /fixtures/… from tests/fixtures and /tokenizers/gpt2/… from public/tokenizers/gpt2, with
 * Content-Length. Under /short/… it promises the whole file but sends half of it and hangs up.
 */
class FixtureServer {
  readonly requests: { method: string; path: string }[] = [];
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    this.requests.push({ method: req.method ?? 'GET', path });
    const file = this.resolve(path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const bytes = readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) });
    if (req.method === 'HEAD') {
      res.end();
    } else if (path.startsWith('/short/')) {
      res.write(bytes.subarray(0, bytes.byteLength >> 1), () => res.destroy());
    } else {
      res.end(bytes);
    }
  }

  private resolve(path: string): string | undefined {
    const roots: [string, string][] = [
      ['/fixtures/', FIXTURES],
      ['/short/', FIXTURES],
      ['/tokenizers/gpt2/', GPT2_TOKENIZER_DIR],
    ];
    for (const [prefix, root] of roots) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(root, path.slice(prefix.length)));
      if (!file.startsWith(normalize(root))) return undefined;
      try {
        return statSync(file).isFile() ? file : undefined;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

/** Just enough Cache Storage (https://developer.mozilla.org/docs/Web/API/CacheStorage) for UrlSource. */
class MemoryCacheStorage {
  readonly opened: string[] = [];
  readonly buckets = new Map<string, Map<string, ArrayBuffer>>();

  async open(name: string): Promise<Cache> {
    this.opened.push(name);
    let bucket = this.buckets.get(name);
    if (!bucket) this.buckets.set(name, (bucket = new Map()));
    const entries = bucket;
    const cache = {
      async match(request: RequestInfo | URL): Promise<Response | undefined> {
        const bytes = entries.get(String(request instanceof Request ? request.url : request));
        return bytes ? new Response(bytes.slice(0)) : undefined;
      },
      async put(request: RequestInfo | URL, response: Response): Promise<void> {
        entries.set(String(request instanceof Request ? request.url : request), await response.arrayBuffer());
      },
    };
    return cache as unknown as Cache;
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('it succeeded, but it should have failed');
    },
    (e: unknown) => e as Error,
  );
}

describe('UrlSource over a local HTTP server', () => {
  const server = new FixtureServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('downloads the tiny model and the tuned lens and shows the reference trajectory', async () => {
    const files = await loadModelFiles(new UrlSource(`${server.base}/fixtures/tiny-gpt2`, { cacheName: null }), {
      tokenizerFallback: new UrlSource(`${server.base}/tokenizers/gpt2/`, { cacheName: null }),
    });
    expect(files.name).toBe('tiny-gpt2');
    expect([files.checkpoint.config.dModel, files.checkpoint.config.numLayers]).toEqual([32, 3]);
    const lens = await TunedLens.load(new UrlSource(`${server.base}/fixtures/lenses/current/`, { cacheName: null }), { onNotice: () => undefined });
    expect(server.count('/fixtures/tiny-gpt2/model.safetensors')).toBeGreaterThan(0);
    expect(server.count('/fixtures/lenses/current/params.pt')).toBeGreaterThan(0);

    const model = await LensModel.create(ort, files);
    try {
      const seed = loadExpected('tiny-gpt2').prompts.find((p) => p.name === 'seed')!;
      expect(model.encode(seed.text!)).toEqual(seed.input_ids);
      const trajectory = await model.trajectory(seed.input_ids, lens, { topk: 5 });
      expectTrajectoryMatches('downloaded tuned lens "seed"', trajectoryAsJson(trajectory), seed.lenses.tuned);
    } finally {
      await model.release();
    }
  });

  it('reads the lens in params.safetensors when the folder has no params.pt', async () => {
    const source = new UrlSource(`${server.base}/fixtures/lenses/current-safetensors`, { cacheName: null });
    const fromUrl = await TunedLens.load(source, { onNotice: () => undefined });
    const fromDisk = await TunedLens.load(new UrlSource(`${server.base}/fixtures/lenses/current`, { cacheName: null }), { onNotice: () => undefined });
    expectClose('safetensors over HTTP', fromUrl.translatorWeight, Array.from(fromDisk.translatorWeight), { abs: 0, rel: 0 });
    // The HEAD request for params.pt answered 404, so nothing tried to download it.
    expect(server.requests.filter((r) => r.path === '/fixtures/lenses/current-safetensors/params.pt').map((r) => r.method)).toEqual(['HEAD']);
  });

  it('reports download progress: increasing bytes up to the size the server announced', async () => {
    const size = statSync(fixturePath('tiny-gpt2/model.safetensors')).size;
    const reports: Progress[] = [];
    const bytes = await new UrlSource(`${server.base}/fixtures/tiny-gpt2`, { cacheName: null }).read('model.safetensors', (p) => reports.push({ ...p }));
    expect(bytes.byteLength).toBe(size);
    expect(Buffer.from(bytes).equals(readFileSync(fixturePath('tiny-gpt2/model.safetensors')))).toBe(true);
    expect(reports.length).toBeGreaterThan(2); // 6.6 MB arrive in several pieces
    expect(reports.every((p) => p.file === 'model.safetensors' && p.total === size)).toBe(true);
    for (let i = 1; i < reports.length; i++) expect(reports[i].loaded, `report ${i}`).toBeGreaterThanOrEqual(reports[i - 1].loaded);
    expect(reports[0].loaded).toBeLessThan(size);
    expect(reports.at(-1)!.loaded).toBe(size);
  });

  it('says which URL does not exist (HTTP 404)', async () => {
    const url = `${server.base}/fixtures/lenses/no-such-lens/config.json`;
    const error = await rejection(TunedLens.load(new UrlSource(`${server.base}/fixtures/lenses/no-such-lens`, { cacheName: null })));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toContain(url);
    expect(error.message).toMatch(/404/);
    expect((error as DownloadError).url).toBe(url);
    expect((error as DownloadError).status).toBe(404);
  });

  it('refuses a download the server cut short instead of using half a file', async () => {
    const url = `${server.base}/short/tiny-gpt2/model.safetensors`;
    const error = await rejection(new UrlSource(`${server.base}/short/tiny-gpt2`, { cacheName: null }).read('model.safetensors'));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toContain(url);
    expect(error.message).toMatch(/retry/);
  });

  it('says the download failed when nothing answers at all', async () => {
    const closed = new FixtureServer();
    await closed.start();
    const base = closed.base;
    await closed.stop();
    const error = await rejection(new UrlSource(`${base}/fixtures/lenses/current`, { cacheName: null }).read('config.json'));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toContain(`${base}/fixtures/lenses/current/config.json`);
    expect(error.message).toMatch(/check your connection/);
  });

  describe('with Cache Storage', () => {
    let storage: MemoryCacheStorage;
    beforeEach(() => {
      storage = new MemoryCacheStorage();
      (globalThis as { caches?: unknown }).caches = storage;
    });
    afterEach(() => {
      delete (globalThis as { caches?: unknown }).caches;
    });

    it('serves a lens the second time from the cache, without a request', async () => {
      const base = `${server.base}/fixtures/lenses/legacy-probe`;
      const first = await TunedLens.load(new UrlSource(base), { onNotice: () => undefined });
      expect(storage.opened).toContain(DEFAULT_CACHE_NAME);
      const before = server.requests.length;
      expect(server.count('/fixtures/lenses/legacy-probe/params.pt')).toBeGreaterThan(0);

      const reports: Progress[] = [];
      const second = await TunedLens.load(new UrlSource(base), { onNotice: () => undefined, onProgress: (p) => reports.push({ ...p }) });
      expect(server.requests.slice(before)).toEqual([]);
      expectClose('lens from the cache', second.translatorWeight, Array.from(first.translatorWeight), { abs: 0, rel: 0 });
      const size = statSync(fixturePath('lenses/legacy-probe/params.pt')).size;
      expect(reports).toEqual([{ file: 'params.pt', loaded: size, total: size }]);
    });

    it('does not cache when caching is turned off', async () => {
      const source = new UrlSource(`${server.base}/fixtures/lenses/current`, { cacheName: null });
      await source.read('config.json');
      await source.read('config.json');
      expect(storage.opened).toEqual([]);
      expect(server.requests.filter((r) => r.path === '/fixtures/lenses/current/config.json' && r.method === 'GET').length).toBeGreaterThanOrEqual(2);
    });

    it('does not cache a failed download', async () => {
      const source = new UrlSource(`${server.base}/short/lenses/current`);
      await expect(source.read('params.pt')).rejects.toThrow(DownloadError);
      await expect(source.read('params.pt')).rejects.toThrow(DownloadError);
      expect(server.count('/short/lenses/current/params.pt')).toBe(2);
    });

    /**
     * In a Worker a file is opened rather than read: the download becomes a Blob as it arrives and is
     * read piece by piece (FileReaderSync, which Node lacks: a stand-in marks the Worker; the reads
     * themselves run in the end-to-end tests).
     */
    describe('opened for reading piece by piece', () => {
      beforeEach(() => {
        (globalThis as { FileReaderSync?: unknown }).FileReaderSync = class {
          readAsArrayBuffer(): ArrayBuffer {
            throw new Error('not read here');
          }
        };
      });
      afterEach(() => {
        delete (globalThis as { FileReaderSync?: unknown }).FileReaderSync;
      });

      it('reports progress up to the announced size, keeps the file in Cache Storage, and opens it from there the second time', async () => {
        const source = new UrlSource(`${server.base}/fixtures/tiny-gpt2`);
        const size = statSync(fixturePath('tiny-gpt2/model.safetensors')).size;
        const reports: Progress[] = [];
        const file = await source.open('model.safetensors', (p) => reports.push({ ...p }));
        expect(file?.size).toBe(size);
        expect(reports[0]).toEqual({ file: 'model.safetensors', loaded: 0, total: size });
        expect(reports.at(-1)).toEqual({ file: 'model.safetensors', loaded: size, total: size });
        const before = server.requests.length;
        expect((await source.open('model.safetensors'))?.size).toBe(size);
        expect(server.requests.slice(before)).toEqual([]);
      });

      it('refuses a download the server cut short, and keeps nothing of it', async () => {
        const source = new UrlSource(`${server.base}/short/tiny-gpt2`);
        const before = server.count('/short/tiny-gpt2/model.safetensors');
        const error = await rejection(source.open('model.safetensors'));
        expect(error).toBeInstanceOf(DownloadError);
        expect(error.message).toMatch(/cut short|stopped after/);
        expect(error.message).toMatch(/retry/);
        await expect(source.open('model.safetensors')).rejects.toThrow(DownloadError);
        expect(server.count('/short/tiny-gpt2/model.safetensors') - before).toBe(2);
      });
    });
  });
});

describe('hub locations', () => {
  it('finds GPT-2 where architecture.md §4 says the hub keeps it', () => {
    expect(hubModelUrl('openai-community/gpt2')).toBe('https://huggingface.co/openai-community/gpt2/resolve/main/');
    expect(new UrlSource(hubModelUrl('openai-community/gpt2')).url('model.safetensors')).toBe(
      'https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors',
    );
  });

  it("finds GPT-2's lens in the AlignmentResearch/tuned-lens Space, as architecture.md §4 says", () => {
    expect(hubLensUrl('gpt2')).toBe('https://huggingface.co/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/gpt2/');
    const source = new UrlSource(hubLensUrl(lensIdForModel('openai-community/gpt2')));
    expect(source.url('params.pt')).toBe('https://huggingface.co/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/gpt2/params.pt');
    expect(source.url('config.json')).toBe('https://huggingface.co/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/gpt2/config.json');
  });

  it("sends the CLI's hub: names to the same URLs", () => {
    expect((modelSource('hub:openai-community/gpt2') as UrlSource).url('config.json')).toBe(
      'https://huggingface.co/openai-community/gpt2/resolve/main/config.json',
    );
    expect((lensSource('hub:gpt2') as UrlSource).url('params.pt')).toBe(
      'https://huggingface.co/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/gpt2/params.pt',
    );
    expect(lensSource('hub:EleutherAI/pythia-160m-deduped').name).toBe(
      'https://huggingface.co/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/EleutherAI/pythia-160m-deduped',
    );
  });
});
