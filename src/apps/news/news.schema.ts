/** Tables of the Actualités app (see src/db/schema.ts for the shared conventions). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NewsTables {}
