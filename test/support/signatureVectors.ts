import { readFileSync } from 'node:fs';

export interface SignatureVector {
  readonly key: string;
  readonly keys?: readonly string[];
  readonly t: number;
  readonly bodyBase64: string;
  readonly header: string;
}

// Computed by ZITADEL's own Go signing code, so a mistake shared by our signer and our verifier cannot hide.
const vectorFile = new URL('../fixtures/zitadel-signature-vectors.json', import.meta.url);
export const { vectors } = JSON.parse(readFileSync(vectorFile, 'utf8')) as { vectors: SignatureVector[] };

/**
 * The time a vector's header was signed at. Vector 6's `t` field is a year later on purpose (the verifier's expiry
 * test uses it as the clock), so the signing time is read from the header, never from the `t` field.
 */
export function headerTimestamp(header: string): number {
  const match = /(?:^|,)t=([0-9]+)(?:,|$)/.exec(header);
  if (match?.[1] === undefined) throw new Error('vector header has no t');
  return Number(match[1]);
}
