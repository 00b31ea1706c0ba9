/**
 * The chapters in reading order, with their URLs. The first chapter is the home page (`/`);
 * it is also built at its own slug so links of either form keep working.
 */
import { getCollection, type CollectionEntry } from 'astro:content';

export type ChapterEntry = CollectionEntry<'chapters'>;

export interface Chapter {
  entry: ChapterEntry;
  /** URL segment: the file name without its numeric prefix (`01-peeking-inside` → `peeking-inside`). */
  slug: string;
  /** Where links to the chapter point: `/` for the first chapter, `/<slug>/` otherwise. */
  href: string;
  /** 1-based position in reading order. */
  number: number;
  title: string;
  /** Sidebar / previous-next label. */
  short: string;
}

export function chapterSlug(id: string): string {
  return id.replace(/^\d+[-_]/, '');
}

export async function getChapters(): Promise<Chapter[]> {
  const entries: ChapterEntry[] = await getCollection('chapters');
  entries.sort((a: ChapterEntry, b: ChapterEntry) => a.data.order - b.data.order || a.id.localeCompare(b.id));
  return entries.map((entry: ChapterEntry, i: number): Chapter => {
    const slug = chapterSlug(entry.id);
    return {
      entry,
      slug,
      href: i === 0 ? '/' : `/${slug}/`,
      number: i + 1,
      title: entry.data.title,
      short: entry.data.short ?? entry.data.title,
    };
  });
}
