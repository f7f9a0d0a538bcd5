import { z } from 'zod';
import type { Deadline } from '../../zitadel/deadline.js';
import type { ZitadelCall } from '../../zitadel/transport.js';

/** An OIDC application as far as eviction is concerned (management API `App.oidcConfig`). */
export interface OidcApp {
  readonly name: string;
  readonly projectName: string;
  /** Local validation of JWT access tokens outlives an eviction. */
  readonly jwtAccessTokens: boolean;
  readonly backChannelLogout: boolean;
  readonly refreshTokens: boolean;
}

const listDetailsSchema = z.object({ totalResult: z.union([z.string(), z.number()]).optional() }).optional();
const listProjectsResponseSchema = z.object({
  details: listDetailsSchema,
  result: z.array(z.object({ id: z.string().min(1), name: z.string().optional() })).optional(),
});
const listAppsResponseSchema = z.object({
  details: listDetailsSchema,
  result: z
    .array(
      z.object({
        name: z.string().optional(),
        oidcConfig: z
          .object({
            accessTokenType: z.string().optional(),
            backChannelLogoutUri: z.string().optional(),
            grantTypes: z.array(z.string()).optional(),
          })
          .optional(),
      }),
    )
    .optional(),
});

/** The applications `doctor` checks for what outlives an eviction (local JWTs, refresh tokens, no back-channel). */
export interface ZitadelOidcAppsApi {
  /**
   * The OIDC apps of the credential's organisation (management API, `project.read` + `project.app.read`), at most
   * `maxProjects` projects; `truncated` when there were more.
   */
  listOidcApps(
    args: { maxProjects: number },
    deadline: Deadline,
  ): Promise<{ apps: OidcApp[]; truncated: boolean }>;
}

/** The application calls' names in metrics, logs and errors. */
export type OidcAppsOperation = 'list_projects' | 'list_apps';

export function createOidcAppsApi(call: ZitadelCall<OidcAppsOperation>): ZitadelOidcAppsApi {
  return {
    async listOidcApps({ maxProjects }, deadline) {
      const projects = await call(
        'list_projects',
        {
          method: 'POST',
          url: '/management/v1/projects/_search',
          data: { query: { offset: '0', limit: maxProjects + 1, asc: true } },
        },
        listProjectsResponseSchema,
        deadline,
      );
      const rows = projects.result ?? [];
      const apps: OidcApp[] = [];
      for (const project of rows.slice(0, maxProjects)) {
        const page = await call(
          'list_apps',
          {
            method: 'POST',
            url: `/management/v1/projects/${encodeURIComponent(project.id)}/apps/_search`,
            data: { query: { offset: '0', limit: 1000, asc: true } },
          },
          listAppsResponseSchema,
          deadline,
        );
        for (const app of page.result ?? []) {
          const oidc = app.oidcConfig;
          if (oidc === undefined) continue;
          apps.push({
            name: app.name ?? '(unnamed)',
            projectName: project.name ?? project.id,
            jwtAccessTokens: oidc.accessTokenType === 'OIDC_TOKEN_TYPE_JWT',
            backChannelLogout: (oidc.backChannelLogoutUri ?? '') !== '',
            refreshTokens: (oidc.grantTypes ?? []).includes('OIDC_GRANT_TYPE_REFRESH_TOKEN'),
          });
        }
      }
      return { apps, truncated: rows.length > maxProjects };
    },
  };
}
