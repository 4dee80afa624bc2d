/** Tables of the Espace documentaire (see src/db/schema.ts for the shared conventions). */
export interface WsFoldersTable {
  id: string;
  owner_id: string;
  parent_id: string | null;
  name: string;
  created_at: number;
  modified_at: number;
  trashed_at: number | null;
  trashed_by: string | null;
  former_parent_id: string | null;
}

export interface WsDocumentsTable {
  id: string;
  owner_id: string;
  folder_id: string | null;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  blob_key: string;
  created_at: number;
  modified_at: number;
  trashed_at: number | null;
  trashed_by: string | null;
  former_folder_id: string | null;
  app_source: string | null;
  app_resource_id: string | null;
}

export interface WorkspaceTables {
  ws_folders: WsFoldersTable;
  ws_documents: WsDocumentsTable;
}

declare module '../../db/schema.ts' {
  interface Database extends WorkspaceTables {}
}
