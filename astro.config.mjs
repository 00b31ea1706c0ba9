// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import preact from '@astrojs/preact';
import remarkMath from 'remark-math';
import rehypeKatex from 'rehype-katex';
import { rehypeHeadingIds, unified } from '@astrojs/markdown-remark';
import { rehypeHeadingAnchors } from './src/components/rehype-heading-anchors.mjs';
import { rehypeScrollRegions } from './src/components/rehype-scroll-regions.mjs';
import { baseLinks } from './src/components/base-links.mjs';

/**
 * Cross-origin isolation: onnxruntime-web needs SharedArrayBuffer for WASM threads, which
 * the browser only grants to a cross-origin-isolated page. `server.headers` is applied by
 * both `astro dev` and `astro preview` (the static preview server passes it to Vite's
 * `preview.headers`). A host that cannot send headers gets the same isolation from the site's
 * service worker (public/coi-sw.js, registered by BaseLayout).
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  output: 'static',
  // A base path comes from the command line (`npm run build -- --base /tuned-lens/`); see base-links.mjs.
  integrations: [preact(), mdx(), baseLinks()],
  markdown: {
    // Light and dark code themes, switched by prose.css with the site's theme; the high-contrast
    // variants keep every token at 4.5:1 or more on the code block's background (WCAG AA).
    shikiConfig: { themes: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' } },
    processor: unified({
      remarkPlugins: [remarkMath],
      // rehypeHeadingIds first so ids (and the `headings` list the TOC reads) exist before
      // the anchors are added; Astro skips its own later pass for headings that have ids.
      rehypePlugins: [rehypeHeadingIds, rehypeHeadingAnchors, [rehypeKatex, { strict: 'ignore' }], rehypeScrollRegions],
      // GFM footnotes (built in to @astrojs/mdx): a visible "Notes" heading instead of the
      // default screen-reader-only "Footnotes".
      remarkRehype: {
        footnoteLabel: 'Notes',
        footnoteLabelProperties: { className: ['footnotes-label'] },
        footnoteBackLabel: (/** @type {number} */ referenceIndex, /** @type {number} */ rereferenceIndex) =>
          `Back to reference ${referenceIndex + 1}${rereferenceIndex > 1 ? `-${rereferenceIndex}` : ''}`,
      },
    }),
  },
  server: {
    port: 4321,
    headers: isolationHeaders,
  },
  vite: {
    optimizeDeps: {
      exclude: ['onnxruntime-web'],
    },
    worker: {
      format: 'es',
    },
  },
});
