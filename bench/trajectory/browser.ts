/**
 * The trajectory benchmark on onnxruntime-web's WASM backend in Debian's Chromium, with 1 and 2
 * threads: bundles browser-entry.ts with esbuild into bench/out/browser/, serves it (server.ts, with
 * COOP/COEP), opens the page in a fresh context per thread count with Playwright, and writes
 * bench/out/browser-wasm-t{n}.json.
 *
 * Peak memory per case: VmHWM of the page's renderer process (the Worker and ORT's pthreads live in
 * it), read from /proc by this driver after resetting it (clear_refs) before each warm-up; plus the
 * WASM heap size, the Worker's JS heap (performance.memory) and the page's
 * performance.measureUserAgentSpecificMemory (Chromium flag ForceEagerMeasureMemory, so it answers at
 * once).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { sumSchedstat, type BenchOptions, type BenchResult } from './core.ts';
import { startServer } from './server.ts';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../../tests/helpers/chromium.ts';

const FLAGS = [...CHROMIUM_FLAGS, '--enable-blink-features=ForceEagerMeasureMemory'];

export async function bundleBrowserEntry(outdir = 'bench/out/browser'): Promise<void> {
  const esbuild = await import('esbuild');
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: ['bench/trajectory/browser-entry.ts', 'bench/trajectory/browser-profile-entry.ts', 'bench/trajectory/browser-type-entry.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir,
    sourcemap: true,
    logLevel: 'warning',
    // @huggingface/transformers (the tokenizer) mentions Node modules behind runtime checks.
    external: ['fs', 'path', 'url', 'sharp', 'onnxruntime-node', 'node:*'],
  });
}

/** Pids of this process's descendants whose command line says --type=renderer. */
function rendererPids(): number[] {
  const children = new Map<number, number[]>();
  const cmdline = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const pid = Number(entry);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      cmdline.set(pid, readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (cmdline.get(child)?.includes('--type=renderer') && !cmdline.get(child)?.includes('--top-chrome-webui')) out.push(child);
      walk(child);
    }
  };
  walk(process.pid);
  return out;
}

function status(pid: number): { vmHWM: number; vmRSS: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
    return { vmHWM: kb('VmHWM'), vmRSS: kb('VmRSS') };
  } catch {
    return { vmHWM: 0, vmRSS: 0 };
  }
}

function taskSchedstats(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map((task) => {
      try {
        return readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8');
      } catch {
        return '';
      }
    });
  } catch {
    return [];
  }
}

export async function runBrowserBench(
  options: BenchOptions,
  threadCounts = [1, 2],
  timeoutMs = 60 * 60_000,
  mode: 'bench' | 'profile' = 'bench',
  tag = '',
): Promise<BenchResult[]> {
  const log = (m: string) => console.log(`[browser] ${m}`);
  log('bundling bench/trajectory/browser-entry.ts with esbuild…');
  await bundleBrowserEntry();
  const server = await startServer();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
  const results: BenchResult[] = [];
  try {
    for (const threads of threadCounts) {
      const load0 = loadavg();
      const context = await browser.newContext();
      const page = await context.newPage();
      let renderers: number[] = [];
      let partial: Partial<BenchResult> = {};
      await page.exposeFunction('__benchProgress', (p: Partial<BenchResult>) => {
        partial = p;
      });
      await page.exposeFunction('__benchLog', (line: string) => log(`t${threads} ${line}`));
      await page.exposeFunction('__benchHook', (kind: 'reset' | 'read' | 'schedstat') => {
        if (kind === 'schedstat') return sumSchedstat(renderers.flatMap(taskSchedstats));
        renderers = rendererPids();
        if (kind === 'reset') {
          for (const pid of renderers) {
            try {
              writeFileSync(`/proc/${pid}/clear_refs`, '5');
            } catch {
              // not ours to reset
            }
          }
          return {};
        }
        const each = renderers.map(status);
        return { rendererVmHWM: Math.max(0, ...each.map((s) => s.vmHWM)), rendererVmRSS: Math.max(0, ...each.map((s) => s.vmRSS)) };
      });
      const done = new Promise<BenchResult>((resolve, reject) => {
        void page.exposeFunction('__benchResult', (result: BenchResult) => resolve(result));
        void page.exposeFunction('__benchError', (message: string) => reject(new Error(message)));
        page.on('crash', () => reject(new Error('the page crashed (out of memory?)')));
        setTimeout(() => reject(new Error(`no result after ${timeoutMs / 60000} min`)), timeoutMs).unref();
      });
      const query = new URLSearchParams({
        threads: String(threads),
        T: options.lengths.join(','),
        runs: String(options.runs),
        lens: options.lenses.join(','),
        topk: String(options.topk),
        keystroke: options.keystroke ? '1' : '0',
        weights: options.weights ?? 'memory',
        mode,
        ...(options.sessionOptions ? { session: JSON.stringify(options.sessionOptions) } : {}),
        ...(options.compareSessionOptions ? { compare: JSON.stringify(options.compareSessionOptions) } : {}),
      });
      await page.goto(`${server.url}?${query}`);
      let result: BenchResult;
      try {
        result = await done;
      } catch (e) {
        log(`t${threads}: ${(e as Error).message}`);
        result = {
          runtime: 'onnxruntime-web (wasm)',
          threads,
          ortVersion: '',
          date: new Date().toISOString(),
          cases: [],
          ...partial,
          notes: [`FAILED after the cases listed: ${(e as Error).message}`],
        } as unknown as BenchResult;
      }
      result.notes ??= [];
      result.notes.push(
        `Chromium ${browser.version()} headless (${CHROMIUM_PATH}), flags ${FLAGS.join(' ')}`,
        `load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      );
      results.push(result);
      const file = join('bench/out', mode === 'profile' ? `profile-wasm-t${threads}${tag}.json` : `browser-wasm-t${threads}${tag}.json`);
      writeFileSync(file, JSON.stringify(result, null, 2));
      log(`wrote ${file}`);
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return results;
}
