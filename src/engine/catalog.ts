/**
 * The models a reader can pick. The embedded default ships with the site and needs no network;
 * GPT-2 and its pretrained lens come from the Hugging Face hub.
 */
import { hubLensUrl, hubModelUrl, lensIdForModel } from '../lens/hub.ts';
import type { ModelEntry } from './protocol.ts';

export const DEFAULT_MODEL_NAME = 'tiny-gpt2';

function siteUrl(path: string): string {
  const base = import.meta.env.BASE_URL.replace(/\/?$/, '/');
  return new URL(`${base}${path}`, globalThis.location?.href ?? 'http://localhost/').href;
}

export function modelCatalog(): ModelEntry[] {
  const tokenizerUrl = siteUrl('tokenizers/gpt2/');
  const local = siteUrl(`models/${DEFAULT_MODEL_NAME}/`);
  const gpt2 = 'openai-community/gpt2';
  return [
    {
      key: 'default',
      label: `${DEFAULT_MODEL_NAME} (embedded)`,
      description: 'A small model that ships with this site: no download from elsewhere, runs anywhere.',
      modelUrl: local,
      lensUrl: `${local}lens/`,
      tokenizerUrl,
      files: [
        { url: `${local}model.safetensors`, label: 'model weights' },
        { url: `${local}lens/params.pt`, label: 'tuned lens' },
      ],
      cache: false,
    },
    {
      key: 'gpt2',
      label: 'GPT-2 small (Hugging Face hub)',
      description: 'OpenAI’s GPT-2 (124M parameters) with the pretrained tuned lens from AlignmentResearch/tuned-lens.',
      modelUrl: hubModelUrl(gpt2),
      lensUrl: hubLensUrl(lensIdForModel(gpt2)),
      tokenizerUrl,
      files: [
        { url: `${hubModelUrl(gpt2)}model.safetensors`, label: 'GPT-2 weights' },
        { url: `${hubLensUrl(lensIdForModel(gpt2))}params.pt`, label: 'tuned lens' },
      ],
      cache: true,
    },
  ];
}

export function modelByKey(key: string | null | undefined): ModelEntry {
  const catalog = modelCatalog();
  return catalog.find((m) => m.key === key) ?? catalog[0];
}
