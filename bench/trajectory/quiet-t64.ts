// Key T = 64 cases, run in one quiet window (`npm run bench -- --quiet` starts it through quiet.sh).
import { spawnSync } from 'node:child_process';
import { runBrowserBench } from './browser.ts';
import { DEFAULT_OPTIONS } from './core.ts';
const node = (args: string[]) =>
  spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/trajectory/node.ts', '--T', '64', '--runs', '7', ...args], { stdio: 'inherit' });
console.log(`[quiet-t64] start ${new Date().toISOString()} load ${(await import('node:os')).loadavg()}`);
node(['--out', 'bench/out/node-quiet.json']);
node(['--intra-op', '1', '--out', 'bench/out/node-t1-quiet.json']);
await runBrowserBench({ ...DEFAULT_OPTIONS, lengths: [64], runs: 5 }, [2, 1], 60 * 60_000, 'bench', '-quiet');
console.log(`[quiet-t64] end ${new Date().toISOString()}`);
