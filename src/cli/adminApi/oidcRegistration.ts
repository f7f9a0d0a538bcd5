import { z } from 'zod';
import type { Deadline } from '../../zitadel/deadline.js';
import type { ZitadelCall } from '../../zitadel/transport.js';

/**
 * The OIDC settings `setup --devices-url` gives an application, in the management API v1's JSON names
 * (proto/zitadel/app.proto). Web app, code flow, client_secret_basic, opaque access tokens.
 */
export interface OidcAppSpec {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly devMode: boolean;
}

/** An OIDC application as ListApps shows it; protojson leaves out zero values (WEB, BASIC, BEARER, false). */
const oidcConfigSchema = z
  .object({
    clientId: z.string().optional(),
    redirectUris: z.array(z.string()).optional(),
    postLogoutRedirectUris: z.array(z.string()).optional(),
    devMode: z.boolean().optional(),
  })
  // Kept as ZITADEL sent them, so that UpdateOIDCAppConfig (which replaces every field) keeps what we do not set.
  .loose();
const appSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  oidcConfig: oidcConfigSchema.optional(),
});
export type RegisteredOidcApp = z.infer<typeof appSchema>;

const listDetailsSchema = z.object({ totalResult: z.union([z.string(), z.number()]).optional() }).optional();
const listProjectsSchema = z.object({
  details: listDetailsSchema,
  result: z.array(z.object({ id: z.string().min(1), name: z.string().optional() })).optional(),
});
const listAppsSchema = z.object({ details: listDetailsSchema, result: z.array(appSchema).optional() });
const addProjectSchema = z.object({ id: z.string().min(1) });
const addOidcAppSchema = z.object({
  appId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().optional(),
});
const regenerateSecretSchema = z.object({ clientSecret: z.string().min(1) });

/** What `setup --devices-url` needs of the management API (v1): projects and OIDC apps of its own organisation. */
export interface ZitadelOidcRegistrationApi {
  /** Projects of the credential's organisation named exactly `name` (`project.read`). */
  findProjectsByName(name: string, deadline: Deadline): Promise<{ id: string; name: string }[]>;
  /** Creates a project (`project.create`); its id. */
  addProject(name: string, deadline: Deadline): Promise<string>;
  /** The project's applications named exactly `name` (`project.app.read`). */
  findAppsByName(projectId: string, name: string, deadline: Deadline): Promise<RegisteredOidcApp[]>;
  /** Creates the OIDC application (`project.app.write`); ZITADEL returns the client secret this once. */
  addOidcApp(
    projectId: string,
    spec: OidcAppSpec,
    deadline: Deadline,
  ): Promise<{ appId: string; clientId: string; clientSecret: string | undefined }>;
  /** Replaces the app's OIDC settings: `keep` (the app's current config) fills every field the spec does not set. */
  updateOidcAppConfig(
    args: { projectId: string; appId: string; spec: OidcAppSpec; keep: Record<string, unknown> },
    deadline: Deadline,
  ): Promise<void>;
  /** A new client secret; the old one stops working at once. */
  regenerateOidcClientSecret(args: { projectId: string; appId: string }, deadline: Deadline): Promise<string>;
}

/** The registration calls' names in metrics, logs and errors. */
export type OidcRegistrationOperation =
  | 'list_projects'
  | 'add_project'
  | 'list_apps'
  | 'add_oidc_app'
  | 'update_oidc_app_config'
  | 'regenerate_oidc_client_secret';

/** The settings we own, every one sent even at its zero value (the proto's defaults happen to be ours). */
function oidcSettings(spec: OidcAppSpec) {
  return {
    redirectUris: [...spec.redirectUris],
    postLogoutRedirectUris: [...spec.postLogoutRedirectUris],
    responseTypes: ['OIDC_RESPONSE_TYPE_CODE'],
    grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE'],
    appType: 'OIDC_APP_TYPE_WEB',
    authMethodType: 'OIDC_AUTH_METHOD_TYPE_BASIC',
    accessTokenType: 'OIDC_TOKEN_TYPE_BEARER',
    devMode: spec.devMode,
  };
}

// Read-only fields of OIDCConfig that UpdateOIDCAppConfigRequest does not take.
const READ_ONLY_OIDC_FIELDS = new Set([
  'clientId',
  'version',
  'noneCompliant',
  'complianceProblems',
  'allowedOrigins',
]);

const appPath = (projectId: string) => `/management/v1/projects/${encodeURIComponent(projectId)}/apps`;
const nameQuery = (name: string) => ({ nameQuery: { name, method: 'TEXT_QUERY_METHOD_EQUALS' } });

export function createOidcRegistrationApi(
  call: ZitadelCall<OidcRegistrationOperation>,
): ZitadelOidcRegistrationApi {
  return {
    async findProjectsByName(name, deadline) {
      const answer = await call(
        'list_projects',
        {
          method: 'POST',
          url: '/management/v1/projects/_search',
          data: { query: { offset: '0', limit: 100, asc: true }, queries: [nameQuery(name)] },
        },
        listProjectsSchema,
        deadline,
      );
      // Checked on every row: a query ZITADEL did not understand would list every project.
      return (answer.result ?? [])
        .filter((project) => project.name === name)
        .map((project) => ({ id: project.id, name }));
    },

    async addProject(name, deadline) {
      const answer = await call(
        'add_project',
        { method: 'POST', url: '/management/v1/projects', data: { name } },
        addProjectSchema,
        deadline,
      );
      return answer.id;
    },

    async findAppsByName(projectId, name, deadline) {
      const answer = await call(
        'list_apps',
        {
          method: 'POST',
          url: `${appPath(projectId)}/_search`,
          data: { query: { offset: '0', limit: 100, asc: true }, queries: [nameQuery(name)] },
        },
        listAppsSchema,
        deadline,
      );
      return (answer.result ?? []).filter((app) => app.name === name);
    },

    async addOidcApp(projectId, spec, deadline) {
      const answer = await call(
        'add_oidc_app',
        {
          method: 'POST',
          url: `${appPath(projectId)}/oidc`,
          data: { name: spec.name, ...oidcSettings(spec), version: 'OIDC_VERSION_1_0' },
        },
        addOidcAppSchema,
        deadline,
      );
      return { appId: answer.appId, clientId: answer.clientId, clientSecret: answer.clientSecret };
    },

    async updateOidcAppConfig({ projectId, appId, spec, keep }, deadline) {
      const kept = Object.fromEntries(
        Object.entries(keep).filter(([field]) => !READ_ONLY_OIDC_FIELDS.has(field)),
      );
      await call(
        'update_oidc_app_config',
        {
          method: 'PUT',
          url: `${appPath(projectId)}/${encodeURIComponent(appId)}/oidc_config`,
          data: { ...kept, ...oidcSettings(spec) },
        },
        z.unknown(),
        deadline,
      );
    },

    async regenerateOidcClientSecret({ projectId, appId }, deadline) {
      const answer = await call(
        'regenerate_oidc_client_secret',
        {
          method: 'POST',
          url: `${appPath(projectId)}/${encodeURIComponent(appId)}/oidc_config/_generate_client_secret`,
          data: {},
        },
        regenerateSecretSchema,
        deadline,
      );
      return answer.clientSecret;
    },
  };
}
