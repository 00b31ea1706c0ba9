/**
 * The trajectory benchmark on onnxruntime-node (run by run.ts in a process of its own, so VmHWM is
 * this benchmark's alone):
 *
 *   node --import tsx bench/trajectory/node.ts [--T 16,64,256] [--runs 5] [--out bench/out/node.json]
 *
 * Peak memory per case: /proc/self/status VmHWM after resetting it (`echo 5 > /proc/self/clear_refs`)
 * before the warm-up, and process.memoryUsage().rss sampled every 5 ms by a worker thread (so the
 * sampling goes on while a session.run holds the main thread).
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cpus, loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { gpt2TokenizerFiles } from '../../src/node/gpt2-tokenizer.ts';
import { NODE_SESSION_OPTIONS } from '../../src/node/session.ts';
import { Tokenizer } from '../../src/lens/tokenizer.ts';
import { parseArgs, runTrajectoryBench, sumSchedstat, type BenchOptions } from './core.ts';

export async function gpt2Tokenizer(): Promise<Tokenizer> {
  const files = gpt2TokenizerFiles();
  return Tokenizer.fromJson({ tokenizerJson: JSON.parse(files['tokenizer.json']), tokenizerConfig: JSON.parse(files['tokenizer_config.json']) });
}

/** Peak RSS sampled by a worker thread; `reset()` starts a new peak. */
class RssSampler {
  private readonly peak = new Float64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;

  constructor(intervalMs = 5) {
    this.worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const peak = new Float64Array(workerData.buffer);
       setInterval(() => { const rss = process.memoryUsage.rss(); if (rss > peak[0]) peak[0] = rss; }, ${intervalMs});`,
      { eval: true, workerData: { buffer: this.peak.buffer } },
    );
    this.worker.unref();
  }

  reset(): void {
    this.peak[0] = process.memoryUsage.rss();
  }

  read(): number {
    return Math.max(this.peak[0], process.memoryUsage.rss());
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

function procStatus(): Record<string, number> {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN) * 1024;
  return { vmHWM: kb('VmHWM'), vmRSS: kb('VmRSS') };
}

/** CPU and run-queue wait of all of a process's threads (ms); see BenchHost.schedstat. */
export function processSchedstat(pid: number | 'self'): { cpuMs: number; waitMs: number } {
  const texts: string[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      texts.push(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8'));
    } catch {
      // the thread ended
    }
  }
  return sumSchedstat(texts);
}

export async function runNodeBench(options: BenchOptions, intraOp?: number) {
  const sampler = new RssSampler();
  const log = (message: string) => console.log(`[node] ${message}`);
  const versions = (ort.env as { versions?: Record<string, string> }).versions ?? {};
  const load0 = loadavg();
  const result = await runTrajectoryBench(
    {
      ort,
      runtime: 'onnxruntime-node',
      threads: intraOp ?? null,
      ortVersion: versions.node ?? versions.common ?? 'unknown',
      tokenizer: gpt2Tokenizer,
      executionProviders: ['cpu'],
      // As the CLI and the build run it (src/node/session.ts).
      sessionOptionsOverride: { ...NODE_SESSION_OPTIONS, ...(intraOp ? { intraOpNumThreads: intraOp } : {}) },
      async resetPeak() {
        writeFileSync('/proc/self/clear_refs', '5');
        sampler.reset();
      },
      async readPeak() {
        const usage = process.memoryUsage();
        return { ...procStatus(), rssSampledPeak: sampler.read(), heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers };
      },
      async schedstat() {
        return processSchedstat('self');
      },
      log,
    },
    options,
  );
  await sampler.stop();
  result.notes.push(
    `session.intra_op.allow_spinning '0' (NODE_SESSION_OPTIONS); intra-op threads: ${intraOp ? `${intraOp} (intraOpNumThreads, set by the benchmark)` : `ORT default (${cpus().length} logical CPUs here)`}; graphOptimizationLevel 'all' (as LensModel sets it)`,
    `load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const { options, out, intraOp } = parseArgs(process.argv.slice(2));
  const result = await runNodeBench(options, intraOp);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`[node] wrote ${out}`);
  process.exit(0);
}
