/**
 * `npm run bench` — the trajectory benchmarks (architecture.md §5), one at a time (the machine has 2 cores):
 *
 *   npm run bench                          onnxruntime-node → bench/out/node.json
 *   npm run bench -- --browser             … then onnxruntime-web WASM in Chromium, 1 and 2 threads
 *                                            → bench/out/browser-wasm-t{1,2}.json
 *   npm run bench -- --browser --no-node   only the browser
 *   npm run bench -- --node-1thread        … also onnxruntime-node with intraOpNumThreads 1 → bench/out/node-t1.json
 *                                            (its CPU time per run is the work itself, little disturbed by a busy machine)
 *   npm run bench -- --torch               … the PyTorch reference too (Debian's /usr/bin/python3)
 *                                            → bench/out/torch-mkldnn.json
 *   npm run bench -- --profile             … where the head graph's time goes (profile-head.ts → bench/out/profile-node*.json;
 *                                            with --browser also profile-core.ts in Chromium → bench/out/profile-wasm-t{n}.json)
 *   node --import tsx bench/trajectory/profile-keystroke.ts   where a keystroke's time goes on onnxruntime-node: the model's
 *                                            one-token run beside its weight products alone, and ORT's per-op profile of it and
 *                                            of the one-position head → bench/out/profile-keystroke.json
 *   npm run bench -- --quiet               only the T = 64 budget cases, once the machine looks idle (quiet.sh waits
 *                                            up to 45 min for it) → bench/out/*-quiet.json
 *   npm run bench -- --keystroke           only the keystroke case (GPT-2 shape, tuned lens, a 63-token prompt then one
 *                                            more token, seed view), beside a full T = 64 recompute, on onnxruntime-node
 *                                            and 2-thread WASM in Chromium, and the PyTorch reference's full T = 64, in
 *                                            one run → bench/out/{node,browser-wasm-t2,torch}-keystroke.json; the page reads
 *                                            the weights from bench/out/random-gpt2/model.safetensors (made once), as the
 *                                            site reads a hub model, so its memory peak includes reading the file
 *   npm run bench -- --keystroke --compare '{"extra":{"session":{"disable_prepacking":"1"}}}'
 *                                          … and in the browser, a second model with those session options on top,
 *                                            its keystroke alternating with the first's (the ratio survives a busy machine)
 *   npm run bench -- --report              only rewrite bench/RESULTS.md (and the README's budget table) from bench/out/*.json
 *
 * Options: --T 16,64,256  --runs 5  --lens tuned,logit  --threads 1,2 (browser)
 * Every run ends by rewriting the generated part of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from './core.ts';
import { runBrowserBench } from './browser.ts';
import { writeRandomGPT2Folder } from './random-gpt2-file.ts';
import { writeKeystrokeReport, writeReport } from './report.ts';

const argv = process.argv.slice(2);
const has = (flag: string) => argv.includes(flag);
const value = (flag: string) => (argv.indexOf(flag) >= 0 ? argv[argv.indexOf(flag) + 1] : undefined);
const { options } = parseArgs(argv);
mkdirSync('bench/out', { recursive: true });

function run(command: string, args: string[]): void {
  console.log(`[bench] ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

const passThrough = ['--T', options.lengths.join(','), '--runs', String(options.runs), '--lens', options.lenses.join(',')];

if (has('--keystroke')) {
  // The page reads the weights from a model.safetensors it downloads, as the site reads a hub model.
  writeRandomGPT2Folder();
  const keystroke = { ...options, lengths: [64], lenses: ['tuned' as const], keystroke: true, weights: 'file' as const };
  const args = ['--T', '64', '--runs', String(options.runs), '--lens', 'tuned'];
  run(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/trajectory/node.ts', ...args, '--keystroke', '--out', 'bench/out/node-keystroke.json']);
  await runBrowserBench(keystroke, [2], 60 * 60_000, 'bench', '-keystroke');
  run('/usr/bin/python3', ['bench/trajectory/torch_reference.py', ...args, '--gemm', 'mkldnn', '--out', 'bench/out/torch-keystroke.json']);
} else if (has('--quiet')) {
  run('bash', ['bench/trajectory/quiet.sh', process.execPath, '--import', 'tsx', 'bench/trajectory/quiet-t64.ts']);
} else if (!has('--report')) {
  if (!has('--no-node')) {
    // A process of its own, so its VmHWM is the benchmark's alone.
    run(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/trajectory/node.ts', ...passThrough, '--out', 'bench/out/node.json']);
  }
  if (has('--node-1thread')) {
    run(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/trajectory/node.ts', ...passThrough, '--intra-op', '1', '--out', 'bench/out/node-t1.json']);
  }
  if (has('--browser')) {
    const threads = (value('--threads') ?? '1,2').split(',').map(Number);
    await runBrowserBench(options, threads);
  }
  if (has('--torch')) {
    run('/usr/bin/python3', ['bench/trajectory/torch_reference.py', ...passThrough, '--gemm', 'mkldnn', '--out', 'bench/out/torch-mkldnn.json']);
  }
  if (has('--profile')) {
    // One intra-op thread: CPU time per run is then the work itself, whatever else the machine runs.
    run(process.execPath, ['--import', 'tsx', 'bench/trajectory/profile-head.ts', '--T', '16,64', '--runs', String(options.runs), '--model', '--threads', '1']);
    run(process.execPath, ['--import', 'tsx', 'bench/trajectory/profile-head.ts', '--T', '64', '--runs', String(options.runs)]);
    if (has('--browser')) {
      const threads = (value('--threads') ?? '1,2').split(',').map(Number);
      await runBrowserBench({ ...options, lengths: [16, 64] }, threads, 60 * 60_000, 'profile');
    }
  }
}
writeFileSync('bench/out/.last-run', new Date().toISOString());
// A keystroke run rewrites its own tables only; the others come from files it did not write.
if (has('--keystroke')) writeKeystrokeReport();
else writeReport();
