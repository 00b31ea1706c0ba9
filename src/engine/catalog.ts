/**
 * The models a reader can pick. The embedded default ships with the site and needs no network;
 * GPT-2, the Pythia models (GPT-NeoX) and their pretrained lenses come from the Hugging Face hub.
 */
import { hubLensUrl, hubModelUrl, lensIdForModel } from '../lens/hub.ts';
import type { ModelEntry } from './protocol.ts';

export const DEFAULT_MODEL_NAME = 'pd-gpt2-6l';

function siteUrl(path: string): string {
  const base = import.meta.env.BASE_URL.replace(/\/?$/, '/');
  return new URL(`${base}${path}`, globalThis.location?.href ?? 'http://localhost/').href;
}

export function modelCatalog(): ModelEntry[] {
  const gpt2Tokenizer = siteUrl('tokenizers/gpt2/');
  const local = siteUrl(`models/${DEFAULT_MODEL_NAME}/`);
  const gpt2 = 'openai-community/gpt2';
  return [
    {
      key: 'default',
      label: `${DEFAULT_MODEL_NAME} (embedded)`,
      description:
        'A 6-layer GPT-2 trained on public-domain English (Shakespeare, the King James Bible, the Brown corpus) that ships with this site, with its own tuned lens: nothing is downloaded from elsewhere.',
      modelUrl: local,
      lensUrl: `${local}lens/`,
      tokenizerUrl: local,
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
      tokenizerUrl: gpt2Tokenizer,
      files: [
        { url: `${hubModelUrl(gpt2)}model.safetensors`, label: 'GPT-2 weights' },
        { url: `${hubLensUrl(lensIdForModel(gpt2))}params.pt`, label: 'tuned lens' },
      ],
      cache: true,
    },
    ...PYTHIA.map(pythia),
  ];
}

/** The Pythia models the tuned-lens Space has lenses for, with their shapes (Biderman et al. 2023). */
const PYTHIA = [
  { size: '70m', layers: 6, dModel: 512, note: ' — the smallest download here' },
  { size: '160m', layers: 12, dModel: 768, note: '' },
  { size: '410m', layers: 24, dModel: 1024, note: ' — the model the tuned-lens Space runs on its server' },
];

/** A Pythia model from its hub repo, with its own tokenizer.json and the Space's lens for it. */
function pythia({ size, layers, dModel, note }: (typeof PYTHIA)[number]): ModelEntry {
  const id = `EleutherAI/pythia-${size}-deduped`;
  const modelUrl = hubModelUrl(id);
  const lensUrl = hubLensUrl(lensIdForModel(id));
  return {
    key: `pythia-${size}`,
    label: `Pythia-${size}-deduped (Hugging Face hub)`,
    description: `EleutherAI’s Pythia-${size}-deduped, a GPT-NeoX model (${layers} layers, d_model ${dModel}) trained on the deduplicated Pile, with the pretrained tuned lens from AlignmentResearch/tuned-lens${note}.`,
    modelUrl,
    lensUrl,
    tokenizerUrl: modelUrl,
    files: [
      { url: `${modelUrl}model.safetensors`, label: 'Pythia weights' },
      { url: `${modelUrl}tokenizer.json`, label: 'tokenizer' },
      { url: `${lensUrl}params.pt`, label: 'tuned lens' },
    ],
    cache: true,
  };
}

export function modelByKey(key: string | null | undefined): ModelEntry {
  const catalog = modelCatalog();
  return catalog.find((m) => m.key === key) ?? catalog[0];
}
