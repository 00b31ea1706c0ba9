/**
 * Loading lens folders as a reader or the CLI would: every artifact format the fixtures carry gives the
 * same translators, and every broken or foreign lens is refused with a message that says what is wrong.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import { LensFormatError, ModelMismatchError } from '../../src/lens/errors.ts';
import { writeTorchStateDict } from '../../src/lens/formats/torch-save.ts';
import { checkLensFitsModel, LogitLens, TunedLens, type ModelShape } from '../../src/lens/lens/tuned-lens.ts';
import { parseGPT2Config } from '../../src/lens/model/gpt2-config.ts';
import { fixturePath, readFixtureJson } from '../helpers/fixtures.ts';
import { expectClose } from '../helpers/tolerance.ts';

const OBSOLETE_KEYS = ['orthogonal', 'include_final', 'rank', 'identity_init', 'sublayers'];
/** f16 keeps 11 significant bits: rounding moves a value by at most 2⁻¹¹ of itself (plus subnormals). */
const F16_ROUNDING = { abs: 6e-8, rel: 2 ** -11 };
const EXACT = { abs: 0, rel: 0 };

/** The tiny model's shape, read from its own config.json (d 32, 3 layers). */
function tinyModelShape(): ModelShape {
  const config = parseGPT2Config(readFixtureJson('tiny-gpt2/config.json'), 'tiny-gpt2/config.json');
  return { name: 'tiny-gpt2', dModel: config.dModel, numLayers: config.numLayers };
}

async function loadLens(folder: string): Promise<{ lens: TunedLens; notices: string[] }> {
  const notices: string[] = [];
  const lens = await TunedLens.load(new PathSource(fixturePath(`lenses/${folder}`)), { onNotice: (m) => notices.push(m) });
  return { lens, notices };
}

async function loadError(source: PathSource): Promise<Error> {
  try {
    await TunedLens.load(source, { onNotice: () => undefined });
  } catch (e) {
    return e as Error;
  }
  throw new Error(`${source.name} loaded, but it should have been refused`);
}

function expectSameTranslators(label: string, lens: TunedLens, reference: TunedLens, tolerance = EXACT): void {
  expect(lens.dModel, `${label} d_model`).toBe(reference.dModel);
  expect(lens.numLayers, `${label} layers`).toBe(reference.numLayers);
  const d = reference.dModel;
  const L = reference.numLayers;
  expectClose(`${label} translator weights`, lens.translatorWeight, Array.from(reference.translatorWeight), tolerance, [L, d, d]);
  expectClose(`${label} translator biases`, lens.translatorBias, Array.from(reference.translatorBias), tolerance, [L, d]);
}

describe('TunedLens.load', () => {
  let current: TunedLens;
  let scratch: string;
  beforeAll(async () => {
    current = (await loadLens('current')).lens;
    scratch = mkdtempSync(join(tmpdir(), 'tuned-lens-test-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A lens folder in the scratch directory: a config.json and (optionally) a copy of a fixture's params file. */
  /** A lens folder in the scratch directory: a config.json and, optionally, a copy of a fixture's params file. */
  function lensFolder(name: string, config: unknown, params?: string): PathSource {
    const folder = join(scratch, name);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
    if (params) copyFileSync(fixturePath(`lenses/${params}`), join(folder, params.split('/').pop()!));
    return new PathSource(folder);
  }

  it('reads a current-format lens: 3 translators of width 32, without notices', async () => {
    const { lens, notices } = await loadLens('current');
    expect(lens.kind).toBe('tuned');
    expect([lens.numLayers, lens.dModel]).toEqual([3, 32]);
    expect(lens.config.format).toBe('current');
    expect(lens.config.baseModel).toBe('tiny-gpt2');
    expect(notices).toEqual([]);
    // A random lens: the translators are not zero (so the comparisons below can fail).
    expect(lens.translatorWeight.some((x) => x !== 0)).toBe(true);
    expect(lens.translatorBias.some((x) => x !== 0)).toBe(true);
  });

  it.each(['current-safetensors', 'legacy', 'legacy-probe'])('reads %s with exactly the translators of current/', async (folder) => {
    const { lens } = await loadLens(folder);
    expectSameTranslators(folder, lens, current);
  });

  it('reads a half-precision lens with the translators of current/ within f16 rounding', async () => {
    const { lens } = await loadLens('current-half');
    expectSameTranslators('current-half', lens, current, F16_ROUNDING);
    // It really is rounded: not bit-identical to the float32 lens.
    expect(lens.translatorWeight.some((x, i) => x !== current.translatorWeight[i])).toBe(true);
  });

  it.each(['legacy', 'legacy-probe'])('loads the %s lens and ignores each obsolete config key with a notice', async (folder) => {
    const { lens, notices } = await loadLens(folder);
    expect(lens.config.format).toBe('legacy');
    for (const key of OBSOLETE_KEYS) expect(notices).toContain(`TunedLens.load: ignoring config key '${key}'`);
    // Nothing else is worth a notice: the copies of layer_norm and unembedding are expected in legacy files.
    expect(notices).toHaveLength(OBSOLETE_KEYS.length);
  });

  it('prints the notices on the console when no onNotice is given', async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      await TunedLens.load(new PathSource(fixturePath('lenses/legacy-probe')));
    } finally {
      console.warn = warn;
    }
    expect(warnings).toContain("TunedLens.load: ignoring config key 'orthogonal'");
  });

  it('accepts a lens that fits the tiny model', () => {
    expect(() => checkLensFitsModel(current, tinyModelShape())).not.toThrow();
    expect(() => checkLensFitsModel(new LogitLens(3, 32), tinyModelShape())).not.toThrow();
  });

  it('refuses a lens of width 16 for the tiny model (width 32): it is for another model', async () => {
    const { lens } = await loadLens('wrong-dmodel');
    expect(lens.dModel).toBe(16);
    expect(() => checkLensFitsModel(lens, tinyModelShape())).toThrow(ModelMismatchError);
    expect(() => checkLensFitsModel(lens, tinyModelShape())).toThrow(/\[16, 16\].*d_model 32.*another model/);
  });

  it('refuses a lens with 5 translators for the tiny model (3 layers): it is for another model', async () => {
    const { lens } = await loadLens('wrong-layers');
    expect(lens.numLayers).toBe(5);
    expect(() => checkLensFitsModel(lens, tinyModelShape())).toThrow(ModelMismatchError);
    expect(() => checkLensFitsModel(lens, tinyModelShape())).toThrow(/5 translators.*3 layers.*another model/);
  });

  it('refuses a truncated params.pt with a message naming the file', async () => {
    const error = await loadError(new PathSource(fixturePath('lenses/truncated')));
    expect(error).toBeInstanceOf(LensFormatError);
    expect(error.message).toContain(join(fixturePath('lenses/truncated'), 'params.pt'));
    expect(error.message).toMatch(/truncated|not a zip|incomplete|corrupted/);
  });

  it('refuses a pickle that names os.system and runs nothing', async () => {
    const marker = '/tmp/tuned-lens-pwned';
    rmSync(marker, { force: true });
    const error = await loadError(new PathSource(fixturePath('lenses/malicious')));
    expect(error).toBeInstanceOf(LensFormatError);
    expect(error.message).toContain('os.system');
    expect(error.message).toContain('malicious/params.pt');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a folder with config.json but no params file, saying which files it looked for', async () => {
    const source = lensFolder('no-params', readFixtureJson('lenses/current/config.json'));
    const error = await loadError(source);
    expect(error).toBeInstanceOf(LensFormatError);
    expect(error.message).toContain(source.name);
    expect(error.message).toMatch(/params\.pt/);
    expect(error.message).toMatch(/params\.safetensors/);
  });

  it('refuses a folder without config.json, naming the missing file', async () => {
    const error = await loadError(new PathSource(join(scratch, 'does-not-exist')));
    expect(error).toBeInstanceOf(LensFormatError);
    expect(error.message).toMatch(/config\.json: no such file/);
  });

  it('refuses a lens type other than linear_tuned_lens', async () => {
    const config = { ...readFixtureJson<Record<string, unknown>>('lenses/current/config.json'), lens_type: 'mlp_tuned_lens' };
    const error = await loadError(lensFolder('mlp', config, 'current/params.pt'));
    expect(error).toBeInstanceOf(LensFormatError);
    expect(error.message).toMatch(/lens_type 'mlp_tuned_lens' is not supported/);
    expect(error.message).toMatch(/linear_tuned_lens/);
  });

  it('refuses a config whose layer count disagrees with params.pt', async () => {
    const config = { ...readFixtureJson<Record<string, unknown>>('lenses/current/config.json'), num_hidden_layers: 2 };
    const error = await loadError(lensFolder('two-layers', config, 'current/params.pt'));
    expect(error).toBeInstanceOf(LensFormatError);
    expect(error.message).toMatch(/has '2\.weight' but config\.json says 2 layers/);
  });

  it('gives back its translators as a current-format state dict that loads to the same lens', async () => {
    const state = current.stateDict();
    expect([...state.keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
    expect(state.get('1.weight')!.shape).toEqual([32, 32]);
    expect(state.get('1.bias')!.shape).toEqual([32]);
    // In memory…
    const again = TunedLens.fromStateDict(current.config, state, 'stateDict()', () => undefined);
    expectSameTranslators('fromStateDict(stateDict())', again, current);
    // …and through a params.pt written like torch.save, then loaded from a folder.
    const source = lensFolder('round-trip', JSON.parse(readFileSync(fixturePath('lenses/current/config.json'), 'utf8')));
    writeFileSync(join(source.name, 'params.pt'), writeTorchStateDict(state));
    const reloaded = await TunedLens.load(source, { onNotice: () => undefined });
    expectSameTranslators('params.pt written from stateDict()', reloaded, current);
  });
});
