/**
 * The part of `docs/archive-format.md` that describes each app's data files, made from their
 * schemas (`ArchiveAdapter.records`) so the page cannot drift from what the export writes:
 * `scripts/archive-format.ts` writes it, `archive-format-doc.test.ts` fails when it is stale.
 */
import { z } from 'zod';
import type { ArchiveAdapter, RecordFile } from './adapter.ts';

type JsonSchema = z.core.JSONSchema.JSONSchema;
type JsonSchemaOrBool = z.core.JSONSchema._JSONSchema;

export const RECORDS_START = '<!-- records:start -->';
export const RECORDS_END = '<!-- records:end -->';

/** What the page says of an app: the adapter's identity and its data files. */
export type DocApp = Pick<ArchiveAdapter, 'app' | 'label' | 'dataVersion' | 'records'>;

interface Row {
  field: string;
  type: string;
  notes: string[];
}

/** Nested objects are described this deep; deeper ones are named "object". */
const MAX_DEPTH = 4;

/** Markdown table cells: a `|` would end the cell, a newline the row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll(/\s*\n\s*/g, ' ');
}

function resolve(node: JsonSchemaOrBool, root: JsonSchema): JsonSchema {
  if (typeof node === 'boolean') return {};
  const ref = node.$ref;
  if (ref === undefined || !ref.startsWith('#/$defs/')) return node;
  return root.$defs?.[ref.slice('#/$defs/'.length)] ?? {};
}

/** A node without its `null` alternative, and whether it had one. */
function unwrapNull(node: JsonSchema, root: JsonSchema): { node: JsonSchema; nullable: boolean } {
  const options = node.anyOf ?? node.oneOf;
  if (options === undefined) return { node, nullable: false };
  const others = options.filter((o) => o.type !== 'null');
  const nullable = others.length < options.length;
  const only = others.length === 1 ? others[0] : undefined;
  if (only === undefined) return { node, nullable };
  // A description set on the nullable wrapper stays with the field.
  const inner = resolve(only, root);
  const description = node.description ?? inner.description;
  return { node: { ...inner, ...(description === undefined ? {} : { description }) }, nullable };
}

function typeName(node: JsonSchema, root: JsonSchema): string {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum !== undefined)
    return `one of ${node.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  const options = node.anyOf ?? node.oneOf;
  if (options !== undefined)
    return options.map((o) => typeName(unwrapNull(resolve(o, root), root).node, root)).join(' or ');
  const type = Array.isArray(node.type) ? node.type.join(' or ') : node.type;
  switch (type) {
    case 'string':
      if (node.format === 'date-time') return 'date-time (ISO 8601)';
      return node.format === undefined ? 'string' : `string (${node.format})`;
    case 'array': {
      const items = node.items;
      if (items === undefined || Array.isArray(items)) return 'array';
      return `array of ${typeName(unwrapNull(resolve(items, root), root).node, root)}`;
    }
    case 'object':
      if (node.properties === undefined && typeof node.additionalProperties === 'object')
        return `object (string → ${typeName(resolve(node.additionalProperties, root), root)})`;
      return 'object';
    case undefined:
      return 'any';
    default:
      return type;
  }
}

/** The rows of an object's fields, nested objects (and arrays of objects) flattened. */
function rows(node: JsonSchema, root: JsonSchema, prefix: string, depth: number): Row[] {
  const out: Row[] = [];
  const required = new Set(node.required ?? []);
  for (const [name, raw] of Object.entries(node.properties ?? {})) {
    const { node: field, nullable } = unwrapNull(resolve(raw, root), root);
    const path = `${prefix}${name}`;
    let type = typeName(field, root);
    if (nullable) type += ' or null';
    const notes: string[] = [];
    if (!required.has(name)) notes.push('optional');
    const references = field.references;
    if (typeof references === 'string') notes.push(`→ ${references}`);
    const items = field.items;
    const item =
      items === undefined || Array.isArray(items)
        ? undefined
        : unwrapNull(resolve(items, root), root).node;
    const eachReferences = item?.references;
    if (typeof eachReferences === 'string') notes.push(`each → ${eachReferences}`);
    if (field.description !== undefined) notes.push(field.description);
    out.push({ field: path, type, notes });
    if (depth >= MAX_DEPTH) continue;
    if (field.properties !== undefined) out.push(...rows(field, root, `${path}.`, depth + 1));
    if (item?.properties !== undefined) out.push(...rows(item, root, `${path}[].`, depth + 1));
  }
  return out;
}

function table(list: readonly Row[]): string[] {
  return [
    '| Field | Type | Notes |',
    '| --- | --- | --- |',
    ...list.map((r) => `| \`${cell(r.field)}\` | ${cell(r.type)} | ${cell(r.notes.join('; '))} |`),
  ];
}

function renderFile(file: RecordFile): string[] {
  const root: JsonSchema = z.toJSONSchema(file.schema, { unrepresentable: 'any' });
  const lines = [`#### \`${file.name}\``, '', cell(file.description), ''];
  let record: JsonSchema = root;
  if (file.kind === 'ndjson') {
    lines.push('NDJSON: one record a line, each:');
  } else if (root.type === 'array' && root.items !== undefined && !Array.isArray(root.items)) {
    lines.push('JSON: an array of records, each:');
    record = resolve(root.items, root);
  } else {
    lines.push('JSON:');
  }
  lines.push('');
  if (record.properties !== undefined) lines.push(...table(rows(record, root, '', 1)));
  else lines.push(`A value of type ${typeName(record, root)}.`);
  lines.push('');
  return lines;
}

/** The generated section (markers included), for the apps in the order given. */
export function renderRecordsSection(apps: readonly DocApp[]): string {
  const lines = [
    RECORDS_START,
    "<!-- Generated from the apps' record schemas by `node scripts/archive-format.ts`: edit the schemas, not this section. -->",
    '',
  ];
  for (const a of apps) {
    lines.push(
      `### ${a.label} (\`${a.app}\`, data version ${a.dataVersion})`,
      '',
      `Folder \`${a.label}/\` (as \`manifest.apps.${a.app}.folder\` names it).`,
      '',
    );
    if (a.records.length === 0) lines.push('No data files described yet.', '');
    for (const file of a.records) lines.push(...renderFile(file));
  }
  lines.push(RECORDS_END);
  return lines.join('\n');
}

/** `doc` with its generated section replaced; throws when the markers are missing. */
export function withRecordsSection(doc: string, section: string): string {
  const start = doc.indexOf(RECORDS_START);
  const end = doc.indexOf(RECORDS_END);
  if (start === -1 || end < start)
    throw new Error(`The page has no ${RECORDS_START} ... ${RECORDS_END} section`);
  return `${doc.slice(0, start)}${section}${doc.slice(end + RECORDS_END.length)}`;
}
