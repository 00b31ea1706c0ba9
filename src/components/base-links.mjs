/**
 * Astro integration: serve the site under a base path (`astro build --base /tuned-lens/`, as a GitHub
 * Pages project site needs) without every chapter and component writing its links through a helper.
 *
 * Chapters and components link root-relative (`/training/#fig-train`, `/favicon.svg`). After the
 * build, every root-relative URL in an attribute of a built page gets the base in front; Astro's own
 * asset URLs already carry it and are left alone, as are `//host/…` and absolute URLs. Doing it on
 * the built HTML, not in a rehype step, covers the .astro components and links added later alike.
 * Code that builds URLs in the browser (the engine's model and tokenizer URLs, the training sample)
 * uses `import.meta.env.BASE_URL` itself.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const URL_ATTRIBUTES = 'href|src|action|poster|formaction';
const TAG = /<[a-zA-Z][^<>]*>/g;
const ATTRIBUTE = new RegExp(`(\\s(?:${URL_ATTRIBUTES})=)(["']?)(\\/(?!\\/)[^"'\\s>]*)\\2`, 'g');

/**
 * `html` with `base` (which ends in "/") put in front of its root-relative attribute URLs.
 * Only attributes inside tags are touched: text, including code shown on the page, is escaped
 * by then and never matches.
 * @param {string} html
 * @param {string} base
 */
export function withBaseLinks(html, base) {
  if (base === '/') return html;
  const bare = base.slice(0, -1);
  return html.replace(TAG, (tag) =>
    tag.replace(ATTRIBUTE, (whole, name, quote, url) => (url === bare || url.startsWith(base) ? whole : `${name}${quote}${bare}${url}${quote}`)),
  );
}

/** @param {string} dir @returns {Promise<string[]>} */
async function htmlFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.html')).map((e) => join(e.parentPath, e.name));
}

/** @returns {import('astro').AstroIntegration} */
export function baseLinks() {
  let base = '/';
  return {
    name: 'tuned-lens:base-links',
    hooks: {
      'astro:config:done': ({ config }) => {
        base = config.base.endsWith('/') ? config.base : `${config.base}/`;
      },
      'astro:build:done': async ({ dir, logger }) => {
        if (base === '/') return;
        const files = await htmlFiles(fileURLToPath(dir));
        for (const file of files) await writeFile(file, withBaseLinks(await readFile(file, 'utf8'), base));
        logger.info(`links in ${files.length} pages now start with ${base}`);
      },
    },
  };
}
