/** The CLI's exit codes: part of its interface, documented in the README. */
export const EXIT = {
  ok: 0,
  /** Something we did not expect; a bug. */
  unexpected: 1,
  /** Unknown command or option, a missing or malformed argument. */
  usage: 2,
  /** INSTANCE_URL, the credential or a limit setting is missing or invalid. */
  config: 3,
  /** ZITADEL refused a call, could not be reached, or some deletions did not go through. */
  zitadel: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The command line itself is wrong. Exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A failure we can explain in the operator's terms (a refused endpoint, an instance without the Action Service,
 * deletions that did not go through). Messages must never contain secrets.
 */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.zitadel,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}
