/** Tables of the Actualités app (see src/db/schema.ts for the shared conventions). */

export type NewsItemState = 'DRAFT' | 'PUBLISHED';

export interface NewsThreadsTable {
  id: string;
  owner_id: string;
  title: string;
  /** A workspace document shown as the thread's icon. */
  icon_document_id: string | null;
  created_at: number;
  modified_at: number;
}

export interface NewsItemsTable {
  id: string;
  thread_id: string;
  author_id: string;
  title: string;
  /** Sanitised HTML. */
  content: string;
  /** Readers see the item from this instant (ms). */
  publish_at: number;
  /** Readers stop seeing the item at this instant (ms); null: never. */
  expires_at: number | null;
  /** 0/1: shown before the other items. */
  headline: number;
  state: NewsItemState;
  created_at: number;
  modified_at: number;
  /** When the readers were told it was published; null: not yet (a draft, or scheduled). */
  notified_at: number | null;
}

export interface NewsCommentsTable {
  id: string;
  item_id: string;
  author_id: string;
  /** Plain text. */
  text: string;
  created_at: number;
}

export interface NewsTables {
  news_threads: NewsThreadsTable;
  news_items: NewsItemsTable;
  news_comments: NewsCommentsTable;
}

declare module '../../db/schema.ts' {
  interface Database extends NewsTables {}
}
