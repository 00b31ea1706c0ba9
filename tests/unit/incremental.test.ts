/**
 * Typing into a figure: each trajectory reuses what the previous prompt computed (the model's keys,
 * values and residual stream for the shared prefix; each lens's decoded positions) and computes only
 * what changed — and what it shows equals a full recompute within 1e-5, on the tiny fixtures (GPT-2
 * and GPT-NeoX) and on the embedded model.
 */
import type { InferenceSession } from 'onnxruntime-common';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import { LensModel, type LensModelOptions, type Ort } from '../../src/lens/lens-model.ts';
import { LogitLens, TunedLens, type Lens } from '../../src/lens/lens/tuned-lens.ts';
import { loadModelFiles } from '../../src/lens/model/model-files.ts';
import { STATISTICS, type PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { loadExpected } from '../helpers/tiny-gpt2.ts';
import { expectClose } from '../helpers/tolerance.ts';
import { GPT2_TOKENIZER_DIR } from '../helpers/trajectory.ts';

const SAME = { abs: 1e-5, rel: 1e-5 };

/** What the two sessions were asked to compute: tokens through the model, positions through the head. */
interface Work {
  modelTokens: number;
  headPositions: number;
}

/** onnxruntime-node whose sessions count the tokens and positions they are fed. */
function countingOrt(work: Work): Ort {
  return {
    Tensor: ort.Tensor as unknown as Ort['Tensor'],
    InferenceSession: {
      async create(bytes: Uint8Array, options?: InferenceSession.SessionOptions) {
        const session = await ort.InferenceSession.create(bytes, options);
        const run = session.run.bind(session) as (feeds: InferenceSession.FeedsType, fetches?: string[]) => Promise<InferenceSession.ReturnType>;
        // The fetches are passed on: LensModel asks the head for the last position's logits only when it needs them.
        (session as { run: unknown }).run = (feeds: InferenceSession.FeedsType, fetches?: string[]) => {
          if (feeds.token_embeddings) work.modelTokens += feeds.token_embeddings.dims[0];
          if (feeds.residual_stream) work.headPositions += feeds.residual_stream.dims[1];
          return run(feeds, fetches);
        };
        return session as unknown as InferenceSession;
      },
    },
  };
}

function expectSameTrajectory(label: string, got: PredictionTrajectory, want: PredictionTrajectory): void {
  expect(got.inputIds, label).toEqual(want.inputIds);
  expect(got.tokens, label).toEqual(want.tokens);
  expect(got.rows, label).toEqual(want.rows);
  expect(Array.from(got.topkIds), `${label} top-k ids`).toEqual(Array.from(want.topkIds));
  const shape = [got.rows.length, got.numPositions];
  expectClose(`${label} top-k probabilities`, got.topkProbs, want.topkProbs, SAME, [...shape, got.k]);
  expect(got.bias === undefined, `${label} bias present`).toBe(want.bias === undefined);
  if (got.bias && want.bias) expectClose(`${label} bias`, got.bias, want.bias, SAME, [got.rows.length]);
  for (const s of STATISTICS) {
    // NaN (no next token) must stay NaN in both; the rest within 1e-5.
    expect(Array.from(got.statistics[s], Number.isNaN), `${label} ${s} missing cells`).toEqual(Array.from(want.statistics[s], Number.isNaN));
    const finite = (a: Float32Array) => a.map((v) => (Number.isNaN(v) ? 0 : v));
    expectClose(`${label} ${s}`, finite(got.statistics[s]), finite(want.statistics[s]), SAME, shape);
  }
}

interface Subject {
  name: string;
  load(work: Work): Promise<{ model: LensModel; tuned: Lens }>;
  prompt(model: LensModel): number[];
}

/** `options.partBytes` 1 makes the model one session per block (LensModel's parts), each feeding the next. */
const tinySubject = (folder: string, lensFolder: string, options: LensModelOptions = {}): Subject => ({
  name: options.partBytes ? `${folder} in one-block parts` : folder,
  async load(work) {
    const files = await loadModelFiles(new PathSource(fixturePath(folder)), { tokenizerFallback: new PathSource(GPT2_TOKENIZER_DIR) });
    const tuned = await TunedLens.load(new PathSource(fixturePath(`lenses/${lensFolder}`)), { onNotice: () => undefined });
    return { model: await LensModel.create(countingOrt(work), files, options), tuned };
  },
  prompt: () => loadExpected(folder).prompts.find((p) => p.name === 'seed')!.input_ids,
});

const SUBJECTS: Subject[] = [
  tinySubject('tiny-gpt2', 'current'),
  tinySubject('tiny-gpt2-f16', 'current-half'),
  tinySubject('tiny-gpt2', 'current', { partBytes: 1 }),
  {
    // GPT-NeoX: rotary positions must continue from the cache (P..P+T-1), and the cache holds rotated keys.
    name: 'tiny-neox',
    async load(work) {
      const model = await LensModel.create(countingOrt(work), await loadModelFiles(new PathSource(fixturePath('tiny-neox'))));
      return { model, tuned: await TunedLens.load(new PathSource(fixturePath('tiny-neox-lens')), { onNotice: () => undefined }) };
    },
    prompt: () => loadExpected('tiny-neox').prompts.reduce((longest, p) => (p.input_ids.length > longest.length ? p.input_ids : longest), [] as number[]),
  },
  {
    name: 'the embedded model (pd-gpt2-6l)',
    async load(work) {
      const dir = 'public/models/pd-gpt2-6l';
      const model = await LensModel.create(countingOrt(work), await loadModelFiles(new PathSource(dir)));
      return { model, tuned: await TunedLens.load(new PathSource(`${dir}/lens`)) };
    },
    prompt: (model) =>
      model.encode(
        'And God said, Let there be light: and there was light. And God saw the light, that it was good; and God divided the light from the darkness.',
      ),
  },
];

describe.each(SUBJECTS)('typing into a heatmap on $name', (subject) => {
  const work: Work = { modelTokens: 0, headPositions: 0 };
  let model: LensModel;
  let tuned: Lens;
  let logit: Lens;
  let prompt: number[];
  beforeAll(async () => {
    ({ model, tuned } = await subject.load(work));
    logit = new LogitLens(model.config.numLayers, model.config.dModel);
    prompt = subject.prompt(model);
    expect(prompt.length).toBeGreaterThan(24);
  });
  afterAll(() => model?.release());

  /** Runs one update, checks it against a full recompute, and returns the work the update did. */
  async function update(label: string, ids: number[], lens: Lens, options: { topk: number; start?: number; end?: number }): Promise<Work> {
    work.modelTokens = 0;
    work.headPositions = 0;
    const got = await model.trajectory(ids, lens, options);
    const did = { ...work };
    const full = await model.trajectory(ids, lens, { topk: options.topk, reuse: false });
    expectSameTrajectory(label, got, full.slice(options.start, options.end));
    return did;
  }

  it('computes only the new token and the shown columns that changed, and equals a full recompute', async () => {
    const seedView = { topk: 5, start: -10 };
    const first = prompt.slice(0, 20);
    expect(await update('first prompt, seed view', first, tuned, seedView)).toEqual({ modelTokens: 20, headPositions: 10 });
    // One more token: the model runs on it alone, and the head decodes it alone; the old last position,
    // which now has a target, gets its cross-entropy and rank from the logits kept for it.
    expect(await update('one token appended', prompt.slice(0, 21), tuned, seedView)).toEqual({ modelTokens: 1, headPositions: 1 });
    // The same prompt again: nothing to compute.
    expect(await update('same prompt', prompt.slice(0, 21), tuned, seedView)).toEqual({ modelTokens: 0, headPositions: 0 });
    // Showing positions 1..20: only the columns not decoded before are (1..9; 10 was shown for the first prompt and is still good).
    expect(await update('start moved to 1', prompt.slice(0, 21), tuned, { topk: 5, start: 1 })).toEqual({ modelTokens: 0, headPositions: 9 });
    // The whole prompt decodes every position in one run: its bias averages over all of them.
    expect(await update('the whole prompt', prompt.slice(0, 21), tuned, { topk: 5, start: 0 })).toEqual({ modelTokens: 0, headPositions: 21 });
    expect(await update('an end position', prompt.slice(0, 21), tuned, { topk: 5, start: 2, end: 7 })).toEqual({ modelTokens: 0, headPositions: 0 });
    // Two tokens pasted after a whole-prompt run (which kept its last position's logits too): only they are decoded.
    expect(await update('two tokens appended', prompt.slice(0, 23), tuned, seedView)).toEqual({ modelTokens: 2, headPositions: 2 });
  });

  it('recomputes from an edit in the middle onwards, and after deleting at the end computes no model tokens', async () => {
    const ids = prompt.slice(0, 24);
    const view = { topk: 3, start: 1 };
    await update('before the edit', ids, tuned, view);
    const edited = [...ids];
    edited[12] = ids[12] === ids[13] ? ids[14] : ids[13];
    // The model reruns positions 12..23; the head also position 11, whose target changed.
    expect(await update('edited at position 12', edited, tuned, view)).toEqual({ modelTokens: 12, headPositions: 13 });
    // Deleting three tokens: the prefix is all cached; only the new last position changes its cells.
    expect(await update('three tokens deleted', edited.slice(0, 21), tuned, view)).toEqual({ modelTokens: 0, headPositions: 1 });
  });

  it('follows a token and gives the change per layer on the shown positions as the whole trajectory does', async () => {
    const ids = prompt.slice(0, 22);
    const follow = ids[3];
    const got = await model.trajectory(ids, tuned, { topk: 3, start: -7, follow, changePerLayer: true });
    const full = (await model.trajectory(ids, tuned, { topk: 3, reuse: false, follow, changePerLayer: true })).slice(-7);
    const shape = [got.rows.length, got.numPositions];
    expect(got.followed?.id).toBe(follow);
    expectClose('followed log-probability', got.followed!.logprob, full.followed!.logprob, SAME, shape);
    expect(Array.from(got.followed!.rank)).toEqual(Array.from(full.followed!.rank));
    const finite = (a: Float32Array) => a.map((v) => (Number.isNaN(v) ? 0 : v));
    expect(Array.from(got.changePerLayer!, Number.isNaN)).toEqual(Array.from(full.changePerLayer!, Number.isNaN));
    expectClose('change per layer', finite(got.changePerLayer!), finite(full.changePerLayer!), SAME, shape);
  });

  it('keeps each lens and each top-k its own columns', async () => {
    const ids = prompt.slice(0, 22);
    await update('tuned lens', ids, tuned, { topk: 4, start: -8 });
    // Another lens on the same prompt: no model run, its own decoding.
    expect(await update('logit lens', ids, logit, { topk: 4, start: -8 })).toEqual({ modelTokens: 0, headPositions: 8 });
    // Back to the tuned lens: its columns are still good.
    expect(await update('tuned lens again', ids, tuned, { topk: 4, start: -8 })).toEqual({ modelTokens: 0, headPositions: 0 });
    expect(await update('tuned lens, top-7', ids, tuned, { topk: 7, start: -8 })).toEqual({ modelTokens: 0, headPositions: 8 });
    // Figures on one page ask for different k: each k keeps its own columns.
    expect(await update('tuned lens, top-4 again', ids, tuned, { topk: 4, start: -8 })).toEqual({ modelTokens: 0, headPositions: 0 });
  });

  it('starts over when the prompt shares nothing with the last one', async () => {
    const ids = prompt.slice(3, 25);
    expect(await update('a new prompt', ids, tuned, { topk: 2, start: -5 })).toEqual({ modelTokens: ids.length, headPositions: 5 });
  });
});
