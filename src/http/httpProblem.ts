/** A refusal we mean to send: a status and a terse code, never any of the caller's input. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** A fixed hint for the caller (what form was expected), never built from its input. */
    readonly expected?: string,
  ) {
    super(code);
    this.name = 'HttpProblem';
  }
}
