/// <reference types="astro/client" />
/**
 * Content collections. `chapters`: the explainer, one MDX file per chapter in content/,
 * ordered by `order`. The URL of a chapter is its file name without the numeric prefix:
 * content/01-peeking-inside.mdx → /peeking-inside/ (and the first chapter is also `/`).
 */
import { defineCollection, z } from 'astro:content';
import { glob } from 'astro/loaders';

const chapters = defineCollection({
  loader: glob({ pattern: '*.mdx', base: './content' }),
  schema: z.object({
    /** Full title, shown as the page's h1. */
    title: z.string(),
    /** One or two sentences: the meta description and the standfirst under the title. */
    description: z.string(),
    /** Position in the table of contents (1, 2, …). */
    order: z.number().int(),
    /** Shorter title for the sidebar and the previous/next links. */
    short: z.string().optional(),
  }),
});

export const collections = { chapters };
