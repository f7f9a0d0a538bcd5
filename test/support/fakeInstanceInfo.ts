import type { Express, NextFunction, Request, Response } from 'express';

/**
 * What `doctor` reads besides the Action Service, for FakeZitadel's `protectedRoutes` (mount it before
 * FakeActions): the caller's permissions (auth API ListMyZitadelPermissions), the instance version (admin API
 * GetMyInstance) and the instance features (Feature Service v2). Each answer depends on the bearer token.
 */
export class FakeInstanceInfo {
  /** Permissions per bearer token; a token not listed has none. */
  permissions = new Map<string, string[]>();
  /** Tokens that may not read the Action Service, the instance or its features (403, as without the role). */
  readonly restricted = new Set<string>();
  version: string | undefined = 'v4.12.0';
  /** undefined: the flag is not in the answer (as after v4.11 made it GA). */
  backChannelLogout: boolean | undefined = undefined;
  /** An instance without the v1 auth API: ListMyZitadelPermissions answers 404. */
  withoutPermissionList = false;
  /** Projects of the credential's organisation and their apps, as the management API lists them. */
  projects: { id: string; name: string; apps: { name: string; oidcConfig?: Record<string, unknown> }[] }[] =
    [];

  readonly mount = (app: Express): void => {
    app.use(/^\/(v2|v2beta)\/actions/, (req: Request, res: Response, next: NextFunction) => {
      if (this.restricted.has(tokenOf(req))) {
        res.status(403).json({ code: 7, message: 'No matching permissions found (AUTH-5mWD2)' });
        return;
      }
      next();
    });
    app.post('/auth/v1/permissions/zitadel/me/_search', (req, res) => {
      if (this.withoutPermissionList) {
        res.status(404).json({ code: 5, message: 'Not Found' });
        return;
      }
      const permissions = this.permissions.get(tokenOf(req)) ?? [];
      res.json(permissions.length === 0 ? {} : { result: permissions });
    });
    app.get('/admin/v1/instances/me', (req, res) => {
      if (this.restricted.has(tokenOf(req))) {
        res.status(403).json({ code: 7, message: 'No matching permissions found (AUTH-5mWD2)' });
        return;
      }
      res.json({
        instance: {
          id: 'instance-1',
          name: 'test',
          ...(this.version === undefined ? {} : { version: this.version }),
        },
      });
    });
    app.use('/management/v1/projects', (req: Request, res: Response, next: NextFunction) => {
      if (this.restricted.has(tokenOf(req))) {
        res.status(403).json({ code: 7, message: 'No matching permissions found (AUTH-5mWD2)' });
        return;
      }
      next();
    });
    app.post('/management/v1/projects/_search', (_req, res) => {
      res.json({
        details: { totalResult: String(this.projects.length) },
        ...(this.projects.length === 0
          ? {}
          : { result: this.projects.map(({ id, name }) => ({ id, name })) }),
      });
    });
    app.post('/management/v1/projects/:id/apps/_search', (req, res) => {
      const project = this.projects.find((candidate) => candidate.id === req.params.id);
      const apps = project?.apps ?? [];
      res.json({
        details: { totalResult: String(apps.length) },
        ...(apps.length === 0 ? {} : { result: apps }),
      });
    });
    app.get('/v2/features/instance', (req, res) => {
      if (this.restricted.has(tokenOf(req))) {
        res.status(403).json({ code: 7, message: 'No matching permissions found (AUTH-5mWD2)' });
        return;
      }
      res.json({
        details: { sequence: '1' },
        ...(this.backChannelLogout === undefined
          ? {}
          : { enableBackChannelLogout: { enabled: this.backChannelLogout, source: 'SOURCE_INSTANCE' } }),
      });
    });
  };
}

function tokenOf(req: Request): string {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
}
