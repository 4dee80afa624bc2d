/** Tables of the Cours et Wiki app (see src/db/schema.ts for the shared conventions). */
export interface WikiTables {
  wiki_wikis: WikiWikisTable;
  wiki_pages: WikiPagesTable;
  wiki_page_links: WikiPageLinksTable;
  wiki_revisions: WikiRevisionsTable;
}

export interface WikiWikisTable {
  id: string;
  owner_id: string;
  title: string;
  description: string;
  created_at: number;
  modified_at: number;
}

/** A page: a node of its wiki's tree (`parent_id` null at the root), sanitised HTML. */
export interface WikiPagesTable {
  id: string;
  wiki_id: string;
  parent_id: string | null;
  title: string;
  content: string;
  /** Order among siblings (the API's `order`; `order` is an SQL keyword). */
  position: number;
  /** Who made the last change (null once that account is deleted). */
  author_id: string | null;
  created_at: number;
  modified_at: number;
}

/** An outgoing link of a page to another page of the same wiki. */
export interface WikiPageLinksTable {
  wiki_id: string;
  page_id: string;
  target_id: string;
}

/** A previous version of a page, kept when its title or content changes. */
export interface WikiRevisionsTable {
  id: string;
  page_id: string;
  wiki_id: string;
  title: string;
  content: string;
  /** Who wrote that version. */
  author_id: string | null;
  /** When that version was replaced (so recorded). */
  created_at: number;
}

declare module '../../db/schema.ts' {
  interface Database extends WikiTables {}
}
