/**
 * Evaluating lenses — the loss graph against the PyTorch reference's per-cell statistics — and the
 * `lens train` / `lens eval` commands as a user runs them (subprocesses on the tiny model).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import { loadNodeSession } from '../../src/node/session.ts';
import type { LensSession } from '../../src/lens/session.ts';
import { LogitLens, TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import { evaluateLenses } from '../../src/lens/train/evaluate.ts';
import { tokenByteLengths } from '../../src/lens/train/token-bytes.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { loadExpected } from '../helpers/tiny-gpt2.ts';
import { expectClose } from '../helpers/tolerance.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lens(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(TSX, ['src/cli/main.ts', ...args], { cwd: ROOT, maxBuffer: 16 << 20, timeout: 110_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('evaluating lenses', () => {
  let tiny: LensSession;
  beforeAll(async () => {
    tiny = await loadNodeSession(new PathSource(fixturePath('tiny-gpt2')));
  });
  afterAll(async () => tiny?.release());

  it('averages the reference’s per-cell cross-entropy and KL, and counts the bytes of the predicted tokens', async () => {
    const expected = loadExpected('tiny-gpt2');
    const prompts = expected.prompts.filter((p) => p.input_ids.length > 1); // "seed" (40 tokens) and "english" (10)
    const tuned = await TunedLens.load(new PathSource(fixturePath('lenses/current')), { onNotice: () => undefined });
    const lengths = tokenByteLengths(tiny.tokenizer.json, 50257);
    const evaluation = await evaluateLenses({
      ort,
      modelName: 'tiny-gpt2',
      unembedding: await tiny.unembedding(),
      numLayers: 3,
      residualStream: (ids) => tiny.model.residualStream(ids),
      chunks: (async function* () {
        for (const p of prompts) yield { ids: p.input_ids };
      })(),
      lenses: [
        { name: 'tuned', lens: tuned },
        { name: 'logit', lens: new LogitLens(3, 32) },
      ],
      tokenBytes: lengths,
      batchTokens: 16, // batches that straddle the two prompts
    });
    expect(evaluation.rows).toEqual(['0', '1', '2', 'output']);
    expect(evaluation.tokens).toBe(50);
    expect(evaluation.predictedTokens).toBe(48);
    // The predicted tokens are each prompt but its first token; both prompts are ASCII.
    const bytes = prompts.reduce((sum, p) => sum + new TextEncoder().encode(tiny.model.tokenizer.decode(p.input_ids.slice(1))).length, 0);
    expect(evaluation.bytes).toBe(bytes);

    for (const [k, name] of (['tuned', 'logit'] as const).entries()) {
      const want = { ce: [0, 0, 0, 0], kl: [0, 0, 0, 0] };
      for (const p of prompts) {
        const cells = p.lenses[name];
        for (let r = 0; r < 4; r++) {
          for (let t = 0; t < p.input_ids.length; t++) {
            if (t + 1 < p.input_ids.length) want.ce[r] += cells.cross_entropy[r][t]! / 48;
            want.kl[r] += cells.forward_kl[r][t] / 50;
          }
        }
      }
      const got = evaluation.lenses[k];
      expect(got.name).toBe(name);
      expectClose(`${name} cross-entropy`, got.crossEntropy, want.ce, { abs: 1e-4, rel: 1e-4 });
      expectClose(`${name} forward KL`, got.forwardKl, want.kl, { abs: 1e-4, rel: 1e-4 });
      expectClose(
        `${name} bits per byte`,
        got.bitsPerByte,
        want.ce.map((ce) => (ce * 48) / Math.LN2 / bytes),
        { abs: 1e-4, rel: 1e-4 },
      );
    }
  });
});

describe('lens train and lens eval (CLI)', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'lens-train-')), 'lens');
  const model = ['--model', 'tests/fixtures/tiny-gpt2'];
  const data = 'tests/fixtures/train/shakespeare-train.txt';
  const heldout = 'tests/fixtures/train/shakespeare-heldout.txt';
  const runs: Record<string, Promise<Run>> = {};

  beforeAll(() => {
    runs.train = lens([
      'train',
      ...model,
      '--data',
      data,
      '--output',
      out,
      '--steps',
      '2',
      '--tokens-per-step',
      '256',
      '--context',
      '128',
      '--heldout',
      heldout,
      '--eval-tokens',
      '256',
    ]);
    runs.again = runs.train.then(() =>
      lens(['train', ...model, '--data', data, '--output', out, '--steps', '2', '--tokens-per-step', '256', '--context', '128', '--heldout', heldout]),
    );
    runs.json = runs.train.then(() => lens(['eval', ...model, '--lens', out, '--data', heldout, '--context', '128', '--tokens', '300', '--json']));
    runs.table = lens(['eval', ...model, '--lens', 'logit', '--data', heldout, data, '--context', '64', '--tokens', '128']);
    runs.missing = lens(['eval', ...model, '--data', 'tests/fixtures/train/no-such-file.txt']);
  });

  it('trains with a progress line per step and writes the lens in the current format', async () => {
    const run = await runs.train;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /^step 1\/2 {2}[\d,]+ tok\/s {2}loss \d+\.\d{3} \[\d+\.\d{3} \d+\.\d{3} \d+\.\d{3}\] {2}lr 0\.100 {2}\|g\| \d+\.\d{3} {2}eta \S+$/m,
    );
    expect(run.stderr).toMatch(/^step 2\/2 .* lr 0\.0500 .* eta 0s$/m);
    for (const file of ['config.json', 'params.pt', 'params.safetensors', 'checkpoint.safetensors']) expect(existsSync(join(out, file)), file).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ base_model_name_or_path: 'tiny-gpt2', d_model: 32, num_hidden_layers: 3, lens_type: 'linear_tuned_lens' });
    // The held-out comparison at the end: a table with both lenses.
    expect(run.stdout).toMatch(/^held-out tests\/fixtures\/train\/shakespeare-heldout\.txt: 256 tokens in 2 chunks/m);
    expect(run.stdout).toMatch(/^layer\s+CE tuned\s+CE logit\s+bpb tuned\s+bpb logit\s+KL tuned\s+KL logit$/m);
  });

  it('refuses to overwrite a run’s checkpoint without --resume', async () => {
    const run = await runs.again;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/already holds a checkpoint of an earlier run — resume it \(--resume\)/);
  });

  it('prints the per-layer table for a lens and the logit lens as JSON', async () => {
    const run = await runs.json;
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({ model: 'tiny-gpt2', context: 128, chunks: 3, tokens: 384, predicted_tokens: 381, rows: ['0', '1', '2', 'output'] });
    expect(Object.keys(json.lenses)).toEqual(['tuned', 'logit']);
    for (const name of ['tuned', 'logit']) {
      const l = json.lenses[name];
      for (const key of ['cross_entropy', 'bits_per_byte', 'forward_kl']) expect(l[key]).toHaveLength(4);
      expect(l.forward_kl[3]).toBe(0);
      expect(l.bits_per_byte[0]).toBeCloseTo((l.cross_entropy[0] * 381) / Math.LN2 / json.bytes, 9);
    }
    for (let r = 0; r < 3; r++) expect(json.lenses.tuned.forward_kl[r]).toBeLessThan(json.lenses.logit.forward_kl[r]);
  });

  it('prints a table for the logit lens alone over several files', async () => {
    const run = await runs.table;
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^lens eval: tiny-gpt2, lens logit: 128 tokens in 2 chunks \(126 predicted, [\d,]+ bytes\)$/);
    expect(lines[2]).toMatch(/^layer\s+CE logit\s+bpb logit\s+KL logit$/);
    expect(lines.slice(3).map((l) => l.split(/\s+/)[0])).toEqual(['0', '1', '2', 'output']);
  });

  it('names a missing data file', async () => {
    const run = await runs.missing;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no-such-file\.txt: no such data file/);
  });
});
