/**
 * The `lens trajectory` command as a user runs it: a subprocess on the tiny model, its --json compared
 * with the PyTorch reference, its table read as text, its errors read as messages.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExpected, loadExpectedInstruments } from '../helpers/tiny-gpt2.ts';
import { expectTrajectoryMatches, type TrajectoryJson } from '../helpers/trajectory.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run lens -- <args>`, i.e. tsx src/cli/main.ts, from the repository root. */
function lens(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(TSX, ['src/cli/main.ts', ...args], { cwd: ROOT, maxBuffer: 64 << 20, timeout: 50_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

function parseJson(run: Run): TrajectoryJson {
  expect(run.code, `exit code (stderr: ${run.stderr})`).toBe(0);
  return JSON.parse(run.stdout) as TrajectoryJson;
}

describe('lens trajectory (CLI)', () => {
  const expected = loadExpected('tiny-gpt2');
  const instruments = loadExpectedInstruments();
  const seed = expected.prompts.find((p) => p.name === 'seed')!;
  const model = ['--model', 'tests/fixtures/tiny-gpt2'];
  const runs: Record<string, Promise<Run>> = {};

  // Each run starts ONNX Runtime in its own process (a few seconds); start them all at once.
  beforeAll(() => {
    runs.tuned = lens(['trajectory', ...model, '--lens', 'tests/fixtures/lenses/current', '--ids', seed.input_ids.join(','), '--topk', '5', '--json']);
    // 100 per cell makes the JSON far larger than a pipe's buffer, so a CLI that exits early would cut it off.
    runs.logit = lens(['trajectory', ...model, '--lens', 'logit', '--ids', seed.input_ids.join(','), '--topk', '100', '--json']);
    runs.table = lens(['trajectory', ...model, '--lens', 'tests/fixtures/lenses/legacy', '--text', seed.text!, '--start', '-3']);
    runs.badLens = lens(['trajectory', ...model, '--lens', 'tests/fixtures/lenses/no-such-lens', '--ids', '464,2068']);
    runs.sublayers = lens([
      'trajectory',
      ...model,
      '--lens',
      'tests/fixtures/lenses/current',
      '--ids',
      seed.input_ids.join(','),
      '--topk',
      '1',
      '--sublayers',
      '--json',
    ]);
  });

  it('prints the tuned lens trajectory as JSON that matches the reference', async () => {
    const json = parseJson(await runs.tuned);
    expect(Object.keys(json)).toEqual([
      'input_ids',
      'tokens',
      'rows',
      'top1_ids',
      'topk_ids',
      'topk_probs',
      'entropy',
      'cross_entropy',
      'forward_kl',
      'max_probability',
      'rank',
      'prediction_depth',
    ]);
    expect(json.input_ids).toEqual(seed.input_ids);
    expect(json.tokens.join('')).toBe(seed.text);
    expect(json.rows).toEqual(['0', '1', '2', 'output']);
    expectTrajectoryMatches('CLI tuned lens', json, seed.lenses.tuned);
    // The last position has no next token: null, not 0 and not NaN.
    for (const row of [...json.cross_entropy, ...json.rank]) expect(row.at(-1)).toBeNull();
    // Prediction depth is an integer per position: exactly the reference's.
    expect(json.prediction_depth).toEqual(instruments.prompts.find((p) => p.name === 'seed')!.lenses.tuned.prediction_depth);
  });

  it('prints the logit lens trajectory in full, however long the JSON', async () => {
    const run = await runs.logit;
    expect(run.stdout.length).toBeGreaterThan(256 * 1024);
    const json = parseJson(run);
    expect(json.topk_ids[0][0]).toHaveLength(100);
    const top5 = {
      ...json,
      topk_ids: json.topk_ids.map((row) => row.map((cell) => cell.slice(0, 5))),
      topk_probs: json.topk_probs.map((row) => row.map((cell) => cell.slice(0, 5))),
    };
    expectTrajectoryMatches('CLI logit lens', top5, seed.lenses.logit);
    for (const cell of json.topk_probs.flat()) {
      expect(
        cell.every((p, i) => i === 0 || p <= cell[i - 1]),
        'top-k sorted by probability',
      ).toBe(true);
    }
  });

  it('adds the after-attention rows with --sublayers, read by the logit lens as the reference reads them', async () => {
    const json = parseJson(await runs.sublayers);
    expect(json.rows).toEqual(['0', '0 · after attention', '1', '1 · after attention', '2', '2 · after attention', 'output']);
    const want = instruments.prompts.find((p) => p.name === 'seed')!.lenses.tuned.sublayers;
    expect(json.top1_ids).toEqual(want.top1_ids);
    for (const [got, ref] of [
      [json.forward_kl, want.forward_kl],
      [json.entropy, want.entropy],
    ] as const) {
      ref.flat().forEach((v, cell) => expect(Math.abs(got.flat()[cell]! - v), `cell ${cell}`).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(v)));
    }
    // Prediction depth counts the layers alone, as without the option.
    expect(json.prediction_depth).toEqual(instruments.prompts.find((p) => p.name === 'seed')!.lenses.tuned.prediction_depth);
  });

  it('prints a table of the last three positions for --text and --start -3: "output" on top, then layers 2, 1, 0', async () => {
    const run = await runs.table;
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('top-1 token and entropy (nats) by layer (rows) and input token (columns)');
    // Cells are separated by at least two spaces; a cell is the top-1 token, a space, the entropy.
    const [header, ...rows] = lines.slice(1).map((line) => line.trim().split(/ {2,}/));
    expect(header).toEqual(['q', 'rf', 'Bi']);
    expect(rows.map((cells) => cells[0])).toEqual(['output', '2', '1', '0']);
    const T = seed.input_ids.length;
    const want = seed.lenses.tuned.entropy; // the legacy lens holds the same translators as current/
    rows.forEach((cells, i) => {
      const r = 3 - i;
      expect(cells, `row ${cells[0]}`).toHaveLength(4);
      cells.slice(1).forEach((cell, j) => {
        const shown = Number(cell.match(/ (\d+\.\d\d)$/)?.[1]);
        const expected = want[r][T - 3 + j];
        expect(Math.abs(shown - expected), `entropy at row ${r}, position ${T - 3 + j}: ${cell} vs ${expected}`).toBeLessThanOrEqual(0.0051);
      });
    });
  });

  it("prints the legacy lens's notices about obsolete config keys on stderr, not in the output", async () => {
    const run = await runs.table;
    for (const key of ['orthogonal', 'include_final', 'rank', 'identity_init', 'sublayers']) {
      expect(run.stderr).toContain(`TunedLens.load: ignoring config key '${key}'`);
      expect(run.stdout).not.toContain(key);
    }
  });

  it('says a lens folder does not exist, without a stack trace, and exits with an error', async () => {
    const run = await runs.badLens;
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^lens: .*tests\/fixtures\/lenses\/no-such-lens\/config\.json: no such file/m);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});

// After the runs above have finished, so these two do not add to the machine's load while they start.
describe('lens transfer (CLI)', () => {
  const expected = loadExpected('tiny-gpt2');
  const seed = expected.prompts.find((p) => p.name === 'seed')!;
  const want = loadExpectedInstruments().prompts.find((p) => p.name === 'seed')!.transfer;
  const args = ['transfer', '--model', 'tests/fixtures/tiny-gpt2', '--lens', 'tests/fixtures/lenses/current', '--text', seed.text!];
  const runs: Record<string, Promise<Run>> = {};
  beforeAll(() => {
    runs.json = lens([...args, '--json']);
    runs.table = lens(args);
    runs.logit = lens(['transfer', '--model', 'tests/fixtures/tiny-gpt2', '--lens', 'logit', '--text', 'x']);
  });

  it('prints the layer transfer as JSON that matches the reference', async () => {
    const run = await runs.json;
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as { num_positions: number; kl: number[][] };
    expect(json.num_positions).toBe(seed.input_ids.length);
    expect(json.kl).toHaveLength(want.length);
    json.kl.flat().forEach((v, cell) => expect(Math.abs(v - want.flat()[cell]), `cell ${cell}`).toBeLessThanOrEqual(1e-3 + 1e-3 * Math.abs(want.flat()[cell])));
  });

  it('prints a table with one row per translator and one column per hidden state', async () => {
    const run = await runs.table;
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/rows i = translator, columns j = hidden state/);
    expect(lines.slice(2).map((line) => line.trim().split(/\s+/).slice(1).map(Number))).toEqual(want.map((row) => row.map((v) => Number(v.toFixed(3)))));
  });

  it('says the logit lens has nothing to transfer', async () => {
    const run = await runs.logit;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/a tuned lens \(the logit lens has no translators to transfer\)/);
  });
});

describe('lens trajectory (CLI) refusing non-finite weights', () => {
  const model = ['--model', 'tests/fixtures/tiny-gpt2'];
  const runs: Record<string, Promise<Run>> = {};
  const scratch = mkdtempSync(join(tmpdir(), 'cli-nonfinite-'));
  /** The tiny model with h.0.ln_1.weight[3] = +Infinity, patched in the file's bytes. */
  function infinityModel(): string {
    const bytes = readFileSync(join(ROOT, 'tests/fixtures/tiny-gpt2/model.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    bytes.writeFloatLE(Infinity, 8 + headerLength + header['h.0.ln_1.weight'].data_offsets[0] + 3 * 4);
    writeFileSync(join(scratch, 'model.safetensors'), bytes);
    copyFileSync(join(ROOT, 'tests/fixtures/tiny-gpt2/config.json'), join(scratch, 'config.json'));
    return scratch;
  }

  beforeAll(() => {
    runs.nanLens = lens(['trajectory', ...model, '--lens', 'tests/fixtures/lenses/nonfinite', '--ids', '464,2068']);
    runs.infModel = lens(['trajectory', '--model', infinityModel(), '--lens', 'logit', '--ids', '464,2068']);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('refuses a lens holding a NaN, naming the tensor and where, and prints no trajectory', async () => {
    const run = await runs.nanLens;
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^lens: .*tests\/fixtures\/lenses\/nonfinite\/params\.pt: tensor '1\.weight' holds NaN at \[2, 5\]/m);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses a checkpoint holding +Infinity, naming the tensor and where', async () => {
    const run = await runs.infModel;
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/model\.safetensors: tensor 'h\.0\.ln_1\.weight' holds Infinity at \[3\] \(element 3\)/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
