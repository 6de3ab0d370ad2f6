/**
 * The one way a command prints `--json`: a single JSON document whose first field, `schema`, names
 * its shape and version (`heapy.partition/1`). Each shape is a JSON Schema in docs/schemas/ and
 * docs/json.md lists which command prints which. A change that could break a reader (a field
 * removed, renamed or retyped) bumps the version; new fields do not.
 */

/** The shapes of heapy's JSON output, by name; the number is the version in `schema`. */
export const JSON_SCHEMAS = {
  partition: 1,
  retained: 1,
  diff: 1,
  leaks: 1,
  path: 1,
  hints: 1,
  graph: 1,
  list: 1,
  peak: 1,
  ps: 1,
  alloc: 1,
  'alloc-step': 1,
} as const;

/** A shape's name in {@link JSON_SCHEMAS}. */
export type JsonSchemaName = keyof typeof JSON_SCHEMAS;

/** The `schema` value of a shape: `heapy.<name>/<version>`. */
export function schemaId(name: JsonSchemaName): string {
  return `heapy.${name}/${JSON_SCHEMAS[name]}`;
}

/**
 * Writes `data` as one document of shape `name` to stdout: indented, or on one line with `line`
 * (a stream of documents, one per line, as `alloc --watch --json` prints).
 */
export function printJson(name: JsonSchemaName, data: object, line = false): void {
  process.stdout.write(JSON.stringify({ schema: schemaId(name), ...data }, null, line ? undefined : 2) + '\n');
}
