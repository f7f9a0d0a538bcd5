import { parse } from 'yaml';

/** A parsed deploy file: every scalar a string (the failsafe schema), as the files' readers expect. */
export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

/**
 * Parses a deploy file with the `yaml` package. The failsafe schema keeps `sync: false` and `5s` as the strings
 * written, so a test compares what the file says rather than what YAML 1.2 would coerce it to; a syntax error or a
 * duplicate key throws.
 */
export function parseYaml(source: string): YamlValue {
  return parse(source, { schema: 'failsafe', uniqueKeys: true }) as YamlValue;
}

/** Walks into a parsed document by keys and indices, failing with the path when something is missing. */
export function at(document: YamlValue, ...path: (string | number)[]): YamlValue {
  let current: YamlValue = document;
  for (const step of path) {
    const next: YamlValue | undefined =
      typeof step === 'number'
        ? Array.isArray(current)
          ? current[step]
          : undefined
        : typeof current === 'object' && !Array.isArray(current)
          ? current[step]
          : undefined;
    if (next === undefined)
      throw new Error(`no ${path.join('.')} in the document (stopped at ${String(step)})`);
    current = next;
  }
  return current;
}
