import { randomBytes } from 'node:crypto';
import type { OidcAppSpec, RegisteredOidcApp } from './adminApi/adminApi.js';
import type { ZitadelClient } from './connect.js';
import { parseDevicesPublicUrl } from './environment.js';
import { CommandFailure, UsageError } from './errors.js';
import type { Deadline } from '../zitadel/deadline.js';
import { ZitadelError } from '../zitadel/errors.js';

/** The project `setup --devices-url` keeps the devices page's application in, found by this name on every run. */
export const DEVICES_PROJECT_NAME = 'ZITADEL Session Limiter';
/** The application's name: ZITADEL shows it on its consent and sign-in screens. */
export const DEVICES_APP_NAME = 'Your devices';

/** What setup did about the devices page's application. Secrets only when ZITADEL just made one. */
export interface DevicesAppResult {
  readonly publicUrl: string;
  readonly projectId: string;
  readonly projectStatus: 'created' | 'found';
  readonly appId: string;
  readonly clientId: string;
  readonly appStatus: 'created' | 'updated' | 'unchanged';
  /** Shown by ZITADEL once: on creation or with --devices-new-secret; undefined otherwise. */
  readonly clientSecret: string | undefined;
  /** A fresh DEVICES_KEYS value, offered with a new application only (existing keys stay as they are). */
  readonly generatedKey: string | undefined;
}

/** `--devices-url`, held to DEVICES_PUBLIC_URL's own rules and normalised the same way. */
export function parseDevicesUrl(value: string): string {
  const parsed = parseDevicesPublicUrl(value);
  if ('problem' in parsed) throw new UsageError(`--devices-url ${parsed.problem}`, 'setup');
  return parsed.url;
}

/**
 * The application's settings for a public URL. Dev mode only for http on loopback (DEVICES_PUBLIC_URL allows http
 * nowhere else): ZITADEL's dev mode also lets redirect URIs act as globs, which a production app should not have.
 */
export function devicesAppSpec(publicUrl: string): OidcAppSpec {
  return {
    name: DEVICES_APP_NAME,
    redirectUris: [`${publicUrl}/devices/callback`],
    postLogoutRedirectUris: [`${publicUrl}/devices`],
    devMode: publicUrl.startsWith('http:'),
  };
}

/** 32 random bytes, base64url: 43 characters, above DEVICES_KEYS' minimum of 32. */
export function generateDevicesKey(): string {
  return randomBytes(32).toString('base64url');
}

function explainManagementError(error: unknown): unknown {
  if (!(error instanceof ZitadelError) || error.kind !== 'http') return error;
  if (error.status === 403)
    return new CommandFailure(
      "ZITADEL denied the management API call (403): registering the devices page's application needs project.read, " +
        "project.create and project.app.write in the setup credential's organisation (IAM_OWNER or ORG_OWNER has them; " +
        'ORG_PROJECT_CREATOR alone does not). Grant one of these roles, or run setup --devices-url with a credential that has it.',
    );
  return error;
}

const missing = (wanted: readonly string[], present: readonly string[] | undefined) =>
  wanted.filter((uri) => !(present ?? []).includes(uri));

async function ensureProject(
  zitadel: ZitadelClient,
  deadline: Deadline,
  warn: (line: string) => void,
): Promise<{ id: string; status: 'created' | 'found' }> {
  const projects = await zitadel.findProjectsByName(DEVICES_PROJECT_NAME, deadline);
  if (projects.length > 1)
    warn(
      `warning: ${projects.length} projects are named "${DEVICES_PROJECT_NAME}"; using the first (${projects[0]?.id}).`,
    );
  const [found] = projects;
  if (found !== undefined) return { id: found.id, status: 'found' };
  try {
    return { id: await zitadel.addProject(DEVICES_PROJECT_NAME, deadline), status: 'created' };
  } catch (error) {
    if (error instanceof ZitadelError && error.kind === 'http' && error.status === 409)
      // Names are unique per organisation; the project list reads a projection that can lag a project just made.
      throw new CommandFailure(
        `A project named "${DEVICES_PROJECT_NAME}" already exists but is not listed yet. Run setup again in a minute.`,
      );
    throw error;
  }
}

async function ensureApp(
  zitadel: ZitadelClient,
  projectId: string,
  spec: OidcAppSpec,
  deadline: Deadline,
  warn: (line: string) => void,
): Promise<{
  app: RegisteredOidcApp;
  clientId: string;
  status: DevicesAppResult['appStatus'];
  secret?: string;
}> {
  const apps = (await zitadel.findAppsByName(projectId, spec.name, deadline)).filter(
    (app) => app.oidcConfig !== undefined,
  );
  if (apps.length > 1)
    warn(`warning: ${apps.length} OIDC apps are named "${spec.name}"; using the first (${apps[0]?.id}).`);
  const [existing] = apps;
  if (existing === undefined) {
    const created = await zitadel.addOidcApp(projectId, spec, deadline);
    return {
      app: { id: created.appId, name: spec.name },
      clientId: created.clientId,
      status: 'created',
      ...(created.clientSecret === undefined ? {} : { secret: created.clientSecret }),
    };
  }
  const config = existing.oidcConfig ?? {};
  const addRedirects = missing(spec.redirectUris, config.redirectUris);
  const addLogouts = missing(spec.postLogoutRedirectUris, config.postLogoutRedirectUris);
  if (addRedirects.length === 0 && addLogouts.length === 0)
    return { app: existing, clientId: config.clientId ?? '', status: 'unchanged' };
  // Other redirect URIs stay: the same app may serve an old URL until the move is done.
  await zitadel.updateOidcAppConfig(
    {
      projectId,
      appId: existing.id,
      spec: {
        ...spec,
        redirectUris: [...(config.redirectUris ?? []), ...addRedirects],
        postLogoutRedirectUris: [...(config.postLogoutRedirectUris ?? []), ...addLogouts],
      },
      keep: config,
    },
    deadline,
  );
  return { app: existing, clientId: config.clientId ?? '', status: 'updated' };
}

/**
 * Finds or creates the project and the devices page's OIDC application, adds the redirect URIs a new public URL
 * needs, and with `newSecret` has ZITADEL make a new client secret. Never creates a second app.
 */
export async function ensureDevicesApp(
  zitadel: ZitadelClient,
  { publicUrl, newSecret }: { publicUrl: string; newSecret: boolean },
  deadline: Deadline,
  warn: (line: string) => void,
): Promise<DevicesAppResult> {
  const spec = devicesAppSpec(publicUrl);
  try {
    const project = await ensureProject(zitadel, deadline, warn);
    const app = await ensureApp(zitadel, project.id, spec, deadline, warn);
    let clientSecret = app.secret;
    if (newSecret && app.status !== 'created')
      clientSecret = await zitadel.regenerateOidcClientSecret(
        { projectId: project.id, appId: app.app.id },
        deadline,
      );
    return {
      publicUrl,
      projectId: project.id,
      projectStatus: project.status,
      appId: app.app.id,
      clientId: app.clientId,
      appStatus: app.status,
      clientSecret,
      generatedKey: app.status === 'created' ? generateDevicesKey() : undefined,
    };
  } catch (error) {
    throw explainManagementError(error);
  }
}
