/**
 * A reader for the small part of YAML our deploy files use (block mappings and sequences, plain and quoted scalars,
 * one-line flow sequences, comments), so the tests can check their structure without adding a YAML dependency.
 * Anything outside that subset (anchors, tags, multi-line scalars, flow mappings) throws: a file that grows past
 * it fails its test instead of being misread.
 */
export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly indent: number;
  readonly text: string;
  readonly number: number;
}

function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

function splitFlowItems(inner: string): string[] {
  const items: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const char of inner) {
    if (quote !== undefined) {
      current += char;
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
      current += char;
    } else if (char === ',') {
      items.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim() !== '') items.push(current.trim());
  return items;
}

function scalar(raw: string, line: Line): YamlValue {
  const text = raw.trim();
  if (/^[&*!|>{]/.test(text)) throw new Error(`line ${line.number}: unsupported YAML: ${text}`);
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new Error(`line ${line.number}: multi-line flow sequence`);
    return splitFlowItems(text.slice(1, -1)).map((item) => scalar(item, line));
  }
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  return text;
}

const KEY = /^([A-Za-z0-9_.\-/$]+):(?:\s+(.*))?$/;

export function parseBlockYaml(source: string): YamlValue {
  if (source.includes('\t')) throw new Error('tabs are not allowed in YAML indentation');
  const lines: Line[] = [];
  source.split('\n').forEach((raw, index) => {
    const text = stripComment(raw);
    if (text.trim() === '' || text.trim() === '---') return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), number: index + 1 });
  });
  let position = 0;

  function block(indent: number): YamlValue {
    const first = lines[position];
    if (first === undefined || first.indent < indent) return '';
    return first.text.startsWith('- ') || first.text === '-' ? sequence(first.indent) : mapping(first.indent);
  }

  function mapping(indent: number): { [key: string]: YamlValue } {
    const result: { [key: string]: YamlValue } = {};
    while (position < lines.length && lines[position]!.indent === indent) {
      const line = lines[position]!;
      const match = KEY.exec(line.text);
      if (match === null) throw new Error(`line ${line.number}: expected "key: value", got ${line.text}`);
      position++;
      const [, key, rest] = match;
      if (key! in result) throw new Error(`line ${line.number}: duplicate key ${key}`);
      result[key!] = rest === undefined || rest === '' ? block(indent + 1) : scalar(rest, line);
    }
    if (position < lines.length && lines[position]!.indent > indent)
      throw new Error(`line ${lines[position]!.number}: bad indentation`);
    return result;
  }

  function sequence(indent: number): YamlValue[] {
    const result: YamlValue[] = [];
    while (
      position < lines.length &&
      lines[position]!.indent === indent &&
      lines[position]!.text.startsWith('-')
    ) {
      const line = lines[position]!;
      const rest = line.text.slice(1).trim();
      if (rest === '') {
        position++;
        result.push(block(indent + 1));
      } else if (KEY.test(rest)) {
        // "- key: value" opens a mapping whose further keys sit where "key" sits.
        lines[position] = { indent: indent + 2, text: rest, number: line.number };
        result.push(mapping(indent + 2));
      } else {
        position++;
        result.push(scalar(rest, line));
      }
    }
    return result;
  }

  const document = block(0);
  if (position < lines.length) throw new Error(`line ${lines[position]!.number}: unexpected content`);
  return document;
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
