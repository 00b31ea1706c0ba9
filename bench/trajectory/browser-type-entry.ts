/// <reference lib="webworker" />
/**
 * The typing page's Worker (bench/trajectory/browser/type.html, bundled by browser.ts): GPT-2-shaped
 * random weights and a random tuned lens on onnxruntime-web's WASM backend, made here, and the seed
 * view (last 10 positions) of whatever text the page sends — as the site's heatmap asks for it, so
 * typing at the end runs the model on the new token and the head on the new position.
 *
 * Messages in:  {type: 'start', threads} · {type: 'text', text}
 * Messages out: {type: 'log', message} · {type: 'ready'} · {type: 'view', ...} · {type: 'error', message}
 */
import * as ort from 'onnxruntime-web/webgpu';
import { LensModel } from '../../src/lens/lens-model.ts';
import { Tokenizer } from '../../src/lens/tokenizer.ts';
import { SEED_VIEW_START } from './core.ts';
import { gpt2SmallConfig, randomGPT2Checkpoint, randomTunedLens } from './random-gpt2.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: unknown) => scope.postMessage(message);
const log = (message: string) => post({ type: 'log', message });

let ready: Promise<{ model: LensModel; lens: ReturnType<typeof randomTunedLens> }> | null = null;

async function start(threads: number) {
  const base = new URL('/', scope.location.href).href;
  ort.env.wasm.wasmPaths = { mjs: `${base}ort/ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${base}ort/ort-wasm-simd-threaded.asyncify.wasm` };
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  const json = async (path: string) => (await fetch(`${base}${path}`)).json();
  const tokenizer = await Tokenizer.fromJson({
    tokenizerJson: await json('tokenizers/gpt2/tokenizer.json'),
    tokenizerConfig: await json('tokenizers/gpt2/tokenizer_config.json'),
  });
  const config = gpt2SmallConfig();
  log('making random GPT-2 small weights…');
  const lens = randomTunedLens(config);
  const model = await LensModel.create(ort, { name: 'random-gpt2', checkpoint: randomGPT2Checkpoint(config), tokenizer }, { executionProviders: ['wasm'] });
  log(`loaded: 2 sessions on WASM with ${threads} thread${threads === 1 ? '' : 's'}`);
  post({ type: 'ready' });
  return { model, lens };
}

async function view(text: string) {
  const { model, lens } = await ready!;
  const ids = model.encode(text);
  const t0 = performance.now();
  const trajectory = await model.trajectory(ids, lens, { topk: 1, start: SEED_VIEW_START });
  const ms = performance.now() - t0;
  const R = trajectory.rows.length;
  const n = trajectory.numPositions;
  post({
    type: 'view',
    ms,
    tokens: ids.length,
    inputTokens: trajectory.tokens,
    rows: trajectory.rows,
    top1: Array.from({ length: R * n }, (_, cell) => trajectory.topkTokens[cell]),
    entropy: Array.from(trajectory.statistics.entropy),
  });
}

scope.onmessage = (event: MessageEvent<{ type: 'start'; threads: number } | { type: 'text'; text: string }>) => {
  const message = event.data;
  const fail = (e: unknown) => post({ type: 'error', message: (e as Error)?.message ?? String(e) });
  if (message.type === 'start') {
    ready = start(message.threads);
    ready.catch(fail);
  } else {
    view(message.text).catch(fail);
  }
};
