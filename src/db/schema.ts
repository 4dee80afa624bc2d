import type { Generated } from 'kysely';

/**
 * Table types. Conventions shared by both dialects: ids are text (UUID v7-like, sortable);
 * timestamps are integer milliseconds since the epoch; JSON is stored as text; booleans as 0/1.
 */
export interface JobsTable {
  id: string;
  type: string;
  payload: string;
  status: JobStatus;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: number;
  lease_until: number | null;
  locked_by: string | null;
  cancel_requested: Generated<number>;
  progress: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type Profile = 'Student' | 'Teacher' | 'Relative' | 'Personnel';

export interface SchoolsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  login: string;
  display_name: string;
  profile: Profile;
  email: string | null;
  password_hash: string | null;
  is_admin: Generated<number>;
  disabled: Generated<number>;
  quota_total: number;
  quota_used: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface GroupsTable {
  id: string;
  school_id: string;
  name: string;
  created_at: number;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
}

export interface GroupRightsTable {
  group_id: string;
  action: string;
  effect: 'grant' | 'revoke';
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface AuthThrottleTable {
  key: string;
  failures: number;
  window_start: number;
}

export type ShareRight = 'read' | 'contrib' | 'manage';

export interface SharesTable {
  id: string;
  app: string;
  resource_type: string;
  resource_id: string;
  owner_id: string;
  grantee_kind: 'user' | 'group';
  grantee_id: string;
  right: ShareRight;
  created_at: number;
}

export interface NotificationsTable {
  id: string;
  user_id: string;
  type: string;
  message_key: string;
  params: string;
  link: string | null;
  created_at: number;
  read_at: number | null;
}

/**
 * Every table. The platform's are here; each app adds its own from its folder
 * (`src/apps/<app>/<app>.schema.ts`) and Mes Données from `src/archive/archive.schema.ts`, by
 * merging into this interface (`declare module`), so this layer imports none of them.
 */
export interface Database {
  jobs: JobsTable;
  schools: SchoolsTable;
  users: UsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_rights: GroupRightsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  auth_throttle: AuthThrottleTable;
  shares: SharesTable;
  notifications: NotificationsTable;
}
