/** Turns the CLI's --model and --lens arguments into Sources, and loads what they name. */
import * as ort from 'onnxruntime-node';
import { HUB, hubLensUrl, hubModelUrl } from '../lens/hub.ts';
import { UrlSource } from '../lens/io/url-source.ts';
import { LensModel } from '../lens/lens-model.ts';
import { LogitLens, TunedLens, type Lens } from '../lens/lens/tuned-lens.ts';
import { loadModelFiles } from '../lens/model/model-files.ts';
import type { Source } from '../lens/io/source.ts';
import { gpt2TokenizerSource } from '../node/gpt2-tokenizer.ts';
import { sourceFor } from '../node/path-source.ts';

/** The hub, or the mirror that `HF_ENDPOINT` names (as for Hugging Face's own tools). */
function hubEndpoint(): string {
  return process.env.HF_ENDPOINT || HUB;
}

export function modelSource(location: string): Source {
  return location.startsWith('hub:') ? new UrlSource(hubModelUrl(location.slice(4), 'main', hubEndpoint()), { cacheName: null }) : sourceFor(location);
}

export function lensSource(location: string): Source {
  return location.startsWith('hub:') ? new UrlSource(hubLensUrl(location.slice(4), hubEndpoint()), { cacheName: null }) : sourceFor(location);
}

export async function loadLensModel(location: string): Promise<LensModel> {
  const files = await loadModelFiles(modelSource(location), { tokenizerFallback: gpt2TokenizerSource(), onProgress: progressLine });
  return LensModel.create(ort, files);
}

export async function loadLens(location: string, model: LensModel): Promise<Lens> {
  if (location === 'logit') return new LogitLens(model.config.numLayers, model.config.dModel);
  return TunedLens.load(lensSource(location), { onProgress: progressLine, onNotice: (message) => console.error(message) });
}

let lastReport = 0;
function progressLine({ file, loaded, total }: { file: string; loaded: number; total: number | undefined }): void {
  if (!process.stderr.isTTY) return;
  const now = Date.now();
  if (now - lastReport < 100 && loaded !== total) return;
  lastReport = now;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  process.stderr.write(`\r${file}: ${mb(loaded)}${total ? ` / ${mb(total)} MB (${Math.round((100 * loaded) / total)}%)` : ' MB'}   `);
  if (loaded === total) process.stderr.write('\n');
}
