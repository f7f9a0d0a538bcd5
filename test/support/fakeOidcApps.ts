import { randomBytes } from 'node:crypto';
import type { Express, NextFunction, Request, Response } from 'express';
import { nextZitadelId } from './fakeZitadel.js';

/**
 * ZITADEL's management API v1 for projects and OIDC applications, as `setup --devices-url` uses it, for
 * FakeZitadel's `protectedRoutes`: ListProjects, AddProject, ListApps, AddOIDCApp, UpdateOIDCAppConfig and
 * RegenerateOIDCClientSecret (proto/zitadel/management.proto). ZITADEL's REST gateway answers 200 to each (no
 * custom HTTP code on these v1 calls) in protojson, which leaves out zero values: WEB, BASIC, BEARER, CODE as a
 * single enum, `devMode: false`. A plain record store: `registeredClients()` hands the apps to whatever else
 * needs them (an OIDC provider fake that must accept the same client).
 *
 * Mount it instead of FakeInstanceInfo's project listing, not beside it: both answer POST /management/v1/projects/_search.
 */

export interface FakeOidcApp {
  id: string;
  name: string;
  clientId: string;
  /** The current secret, as ZITADEL stores it (ZITADEL itself only shows it once). */
  clientSecret: string;
  /** The OIDC config as last set, in the request's JSON names. */
  config: Record<string, unknown>;
}

export interface FakeProject {
  id: string;
  name: string;
  apps: FakeOidcApp[];
}

/** What an OIDC provider needs to accept a client setup registered. */
export interface RegisteredClient {
  readonly projectId: string;
  readonly appId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
}

const ZERO_VALUES = new Set([
  'OIDC_APP_TYPE_WEB',
  'OIDC_AUTH_METHOD_TYPE_BASIC',
  'OIDC_TOKEN_TYPE_BEARER',
  'OIDC_VERSION_1_0',
]);

function zitadelError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ code, message, details: [] });
}

function tokenOf(req: Request): string {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
}

const newSecret = () => randomBytes(48).toString('base64url');
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/** protojson of an app's config: zero-valued scalars and empty lists left out. */
function configJson(app: FakeOidcApp): Record<string, unknown> {
  const shown: Record<string, unknown> = { clientId: app.clientId };
  for (const [field, value] of Object.entries(app.config)) {
    if (value === false || value === '' || (typeof value === 'string' && ZERO_VALUES.has(value))) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    shown[field] = value;
  }
  return shown;
}

/** The name a ProjectNameQuery / AppNameQuery asks for, EQUALS only; undefined when there is no such query. */
function nameQueried(body: Record<string, unknown>): string | undefined {
  const queries = (Array.isArray(body.queries) ? body.queries : []) as {
    nameQuery?: { name?: string; method?: string };
  }[];
  const query = queries.find((candidate) => candidate.nameQuery !== undefined)?.nameQuery;
  return query?.name;
}

export class FakeOidcApps {
  readonly projects: FakeProject[] = [];
  /** Tokens refused on every call here (403), as a credential without project.create / project.app.write. */
  readonly restricted = new Set<string>();

  /** Every OIDC app with its current secret and redirect URIs. */
  registeredClients(): RegisteredClient[] {
    return this.projects.flatMap((project) =>
      project.apps.map((app) => ({
        projectId: project.id,
        appId: app.id,
        clientId: app.clientId,
        clientSecret: app.clientSecret,
        redirectUris: strings(app.config.redirectUris),
        postLogoutRedirectUris: strings(app.config.postLogoutRedirectUris),
      })),
    );
  }

  /** Adds a project directly, as if made by hand in the console. */
  addProject(name: string): FakeProject {
    const project: FakeProject = { id: nextZitadelId(), name, apps: [] };
    this.projects.push(project);
    return project;
  }

  /** Adds an OIDC app directly, as if made by hand. */
  addApp(project: FakeProject, name: string, config: Record<string, unknown>): FakeOidcApp {
    const app: FakeOidcApp = {
      id: nextZitadelId(),
      name,
      clientId: nextZitadelId(),
      clientSecret: newSecret(),
      config,
    };
    project.apps.push(app);
    return app;
  }

  readonly mount = (app: Express): void => {
    app.use('/management/v1/projects', (req: Request, res: Response, next: NextFunction) => {
      if (this.restricted.has(tokenOf(req))) {
        zitadelError(res, 403, 7, 'No matching permissions found (AUTH-5mWD2)');
        return;
      }
      next();
    });
    app.post('/management/v1/projects/_search', (req, res) => {
      const name = nameQueried((req.body ?? {}) as Record<string, unknown>);
      const rows = this.projects.filter((project) => name === undefined || project.name === name);
      res.json({
        details: { totalResult: String(rows.length) },
        ...(rows.length === 0
          ? {}
          : {
              result: rows.map(({ id, name: projectName }) => ({
                id,
                name: projectName,
                state: 'PROJECT_STATE_ACTIVE',
              })),
            }),
      });
    });
    app.post('/management/v1/projects', (req, res) => {
      const raw = (req.body as { name?: unknown } | undefined)?.name;
      const name = typeof raw === 'string' ? raw.trim() : '';
      if (name === '') {
        zitadelError(
          res,
          400,
          3,
          'invalid AddProjectRequest.Name: value length must be between 1 and 200 runes, inclusive',
        );
        return;
      }
      if (this.projects.some((project) => project.name === name)) {
        zitadelError(res, 409, 6, 'Errors.Project.AlreadyExists (COMMAND-EbFMN)');
        return;
      }
      const project = this.addProject(name);
      res.json({ id: project.id, details: { sequence: '1', resourceOwner: 'org-1' } });
    });
    app.post('/management/v1/projects/:projectId/apps/_search', (req, res) => {
      const project = this.#project(req, res);
      if (project === undefined) return;
      const name = nameQueried((req.body ?? {}) as Record<string, unknown>);
      const rows = project.apps.filter((candidate) => name === undefined || candidate.name === name);
      res.json({
        details: { totalResult: String(rows.length) },
        ...(rows.length === 0
          ? {}
          : {
              result: rows.map((row) => ({
                id: row.id,
                state: 'APP_STATE_ACTIVE',
                name: row.name,
                oidcConfig: configJson(row),
              })),
            }),
      });
    });
    app.post('/management/v1/projects/:projectId/apps/oidc', (req, res) => {
      const project = this.#project(req, res);
      if (project === undefined) return;
      const { name, ...config } = (req.body ?? {}) as Record<string, unknown>;
      if (typeof name !== 'string' || name.trim() === '') {
        zitadelError(
          res,
          400,
          3,
          'invalid AddOIDCAppRequest.Name: value length must be between 1 and 200 runes, inclusive',
        );
        return;
      }
      if (!this.#validConfig(config, res)) return;
      const created = this.addApp(project, name.trim(), config);
      const confidential = config.authMethodType !== 'OIDC_AUTH_METHOD_TYPE_NONE';
      res.json({
        appId: created.id,
        details: { sequence: '2', resourceOwner: 'org-1' },
        clientId: created.clientId,
        ...(confidential ? { clientSecret: created.clientSecret } : {}),
      });
    });
    app.put('/management/v1/projects/:projectId/apps/:appId/oidc_config', (req, res) => {
      const found = this.#app(req, res);
      if (found === undefined) return;
      const config = (req.body ?? {}) as Record<string, unknown>;
      if (!this.#validConfig(config, res)) return;
      found.config = { ...config };
      res.json({ details: { sequence: '3', resourceOwner: 'org-1' } });
    });
    app.post(
      '/management/v1/projects/:projectId/apps/:appId/oidc_config/_generate_client_secret',
      (req, res) => {
        const found = this.#app(req, res);
        if (found === undefined) return;
        found.clientSecret = newSecret();
        res.json({ clientSecret: found.clientSecret, details: { sequence: '4', resourceOwner: 'org-1' } });
      },
    );
  };

  #project(req: Request, res: Response): FakeProject | undefined {
    const project = this.projects.find((candidate) => candidate.id === req.params.projectId);
    if (project === undefined) zitadelError(res, 404, 5, 'Errors.Project.NotFound (PROJECT-3M9sd)');
    return project;
  }

  #app(req: Request, res: Response): FakeOidcApp | undefined {
    const project = this.#project(req, res);
    if (project === undefined) return undefined;
    const found = project.apps.find((candidate) => candidate.id === req.params.appId);
    if (found === undefined) zitadelError(res, 404, 5, 'Errors.Project.App.NotFound (COMMAND-Gf3f1)');
    return found;
  }

  /** ZITADEL's own check (domain.ContainsRequiredGrantTypes): response type code needs the authorization code grant. */
  #validConfig(config: Record<string, unknown>, res: Response): boolean {
    const responseTypes = strings(config.responseTypes);
    const grantTypes = strings(config.grantTypes);
    const wantsCode = responseTypes.length === 0 || responseTypes.includes('OIDC_RESPONSE_TYPE_CODE');
    if (wantsCode && grantTypes.length > 0 && !grantTypes.includes('OIDC_GRANT_TYPE_AUTHORIZATION_CODE')) {
      zitadelError(res, 400, 3, 'Errors.Invalid.Argument (V2-sLpW1)');
      return false;
    }
    return true;
  }
}
