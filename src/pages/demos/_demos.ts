/**
 * Every demo on the site, for the /demos/ index and the full-page demo pages (files starting with
 * "_" are not pages). `chapter` is where the demo is explained, with the figure's anchor; its title
 * and URL come from the chapters themselves (`chapterLink`).
 */
import type { Chapter } from '../../components/chapters';

export interface Demo {
  /** URL segment: /demos/<slug>/ */
  slug: string;
  title: string;
  summary: string;
  /** Where the demo appears in the explainer: the chapter's slug and the figure's anchor in it. */
  chapter: { slug: string; anchor: string };
}

export const DEMOS: Demo[] = [
  {
    slug: 'heatmap',
    title: 'The lens heatmap',
    summary:
      'What each layer predicts for the next token, at every position of your prompt: the top-1 token in each cell, coloured by entropy, cross-entropy, KL to the output, top probability or rank, with the top-k on hover. The seed notebook’s plot_lens, live.',
    chapter: { slug: 'peeking-inside', anchor: 'reading-a-lens' },
  },
  {
    slug: 'compare',
    title: 'Logit lens versus tuned lens',
    summary:
      'Two heatmaps of the same prompt on one colour scale, the logit lens beside the tuned lens. Hover or move with the keyboard in either: the same cell lights up in both, and one readout compares their top predictions.',
    chapter: { slug: 'logit-vs-tuned', anchor: 'fig-compare' },
  },
  {
    slug: 'curves',
    title: 'Layer-by-layer curves',
    summary: 'Mean KL to the model’s output and cross-entropy (bits per byte or nats per token) at every layer, for both lenses, on text you paste in.',
    chapter: { slug: 'logit-vs-tuned', anchor: 'fig-curves' },
  },
  {
    slug: 'translator',
    title: 'Inside the translators',
    summary:
      'For the loaded lens, each layer’s ‖A‖ and ‖b‖, and every singular value of I + A: how far each translator is from the identity, and how it stretches the residual stream.',
    chapter: { slug: 'affine-adapters', anchor: 'fig-translators' },
  },
  {
    slug: 'train',
    title: 'Train a tuned lens',
    summary:
      'The paper’s recipe run in your browser: train the loaded model’s translators on a bundled Shakespeare sample or your own text, watch each layer’s loss fall, then use the lens in the heatmap or download it as tuned-lens files.',
    chapter: { slug: 'training', anchor: 'fig-train' },
  },
];

export function demoBySlug(slug: string): Demo {
  const demo = DEMOS.find((d) => d.slug === slug);
  if (!demo) throw new Error(`No demo '${slug}' in src/pages/demos/_demos.ts`);
  return demo;
}

/** The title and link (with the figure's anchor) of the chapter that explains a demo. */
export function chapterLink(demo: Demo, chapters: Chapter[]): { title: string; href: string } {
  const chapter = chapters.find((c) => c.slug === demo.chapter.slug);
  if (!chapter) throw new Error(`Demo '${demo.slug}' names chapter '${demo.chapter.slug}', which does not exist`);
  return { title: chapter.title, href: `${chapter.href}#${demo.chapter.anchor}` };
}
