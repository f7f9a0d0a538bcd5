const REPLACEMENTS: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text made safe for HTML element content and for quoted attribute values: the five characters that can end
 * either are replaced by character references. Every value the devices pages interpolate goes through it.
 */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (character) => REPLACEMENTS[character] ?? character);
}
