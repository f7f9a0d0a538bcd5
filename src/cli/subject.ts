import type { ZitadelClient } from './connect.js';
import type { Deadline } from '../zitadel/deadline.js';
import { CommandFailure, EXIT, UsageError } from './errors.js';

/** The user a command line names: always a user id, plus the login name when that is what was typed. */
export interface NamedUser {
  readonly userId: string;
  readonly loginName: string | undefined;
}

// ZITADEL ids are decimal snowflakes; anything else is far more likely a login name.
const USER_ID = /^[0-9]+$/;

/** Refuses an empty or blank user argument before anything calls ZITADEL. */
export function requireSubject(command: string, subject: string): string {
  const trimmed = subject.trim();
  if (trimmed === '') throw new UsageError('<userId | loginName> must not be empty', command);
  return trimmed;
}

/**
 * Resolves `<userId | loginName>` the same way for every command that names a user: digits only are a user id,
 * anything else is looked up as a login name (exact match). A login name no user has is an error (exit 2),
 * never "0 sessions": taking it for a user id would report an empty, wrong answer.
 */
export async function resolveNamedUser(
  command: string,
  subject: string,
  zitadel: Pick<ZitadelClient, 'findUserIdByLoginName'>,
  deadline: Deadline,
): Promise<NamedUser> {
  const name = requireSubject(command, subject);
  if (USER_ID.test(name)) return { userId: name, loginName: undefined };
  const userId = await zitadel.findUserIdByLoginName({ loginName: name }, deadline);
  if (userId === undefined) {
    throw new CommandFailure(
      `no user has the login name ${JSON.stringify(name)} (login names match exactly; pass the user id instead)`,
      EXIT.usage,
    );
  }
  return { userId, loginName: name };
}
