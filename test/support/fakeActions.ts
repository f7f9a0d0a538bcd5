import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Express, NextFunction, Request, Response } from 'express';
import { nextZitadelId } from './fakeZitadel.js';

/**
 * A stand-in for ZITADEL's Action Service (targets and executions) under /v2/actions and /v2beta/actions, mounted
 * through FakeZitadel's `protectedRoutes`. Shapes follow proto/zitadel/action/v2/action_service.proto (v2beta has
 * the same messages). It can act as an older instance that serves only v2beta, and refuse endpoints as the default
 * deny list of self-hosted ZITADEL does (Executions.DenyList up to v4.13, HTTPClient.DenyList after).
 */

export type ActionsVersion = 'v2' | 'v2beta';

export interface FakeTarget {
  id: string;
  name: string;
  endpoint: string;
  timeout: string;
  type: 'restWebhook' | 'restCall' | 'restAsync';
  interruptOnError: boolean;
  signingKey: string;
  creationDate: Date;
  changeDate: Date;
  /** As set; undefined is what ZITADEL stores when the field was left out (it then sends JSON). */
  payloadType: string | undefined;
  /** Public keys uploaded for JWE payloads (publicKeyPem is what was uploaded, decoded). */
  publicKeys: FakePublicKey[];
}

export interface FakePublicKey {
  keyId: string;
  publicKeyPem: string;
  active: boolean;
  expirationDate: Date | undefined;
}

export interface FakeExecution {
  condition: Record<string, unknown>;
  targets: string[];
}

export interface FakeActionsOptions {
  /** Versions the instance serves: ZITADEL v4 serves both, v3 only v2beta. Default: both. */
  versions?: readonly ActionsVersion[];
  /**
   * Refuse endpoints as the default deny list of self-hosted ZITADEL does (Errors.Target.DeniedURL). Which default
   * depends on `denyListRelease`.
   */
  denyPrivateEndpoints?: boolean;
  /**
   * `v4.13` ([real] on v4.13.1, Executions.DenyList): only localhost, 127.0.0.0/8, ::1, 0.0.0.0 and :: are denied,
   * a target on 10.1.2.3 is accepted. `later` (HTTPClient.DenyList, main): the private ranges too. Default `v4.13`.
   */
  denyListRelease?: 'v4.13' | 'later';
  /** Methods the instance does not serve: SetExecution on them answers 404 (Errors.Execution.ConditionInvalid). */
  unknownMethods?: readonly string[];
  /** An instance before 4.8: `payloadType` is an unknown field, dropped silently, and never returned. */
  withoutPayloadTypes?: boolean;
  /**
   * ZITADEL's target view lagging its writes ([real] on v4.13.1): after a create or update that changes
   * `payloadType`, this many reads of the target (GetTarget, or a listing that returns it) still show the old one.
   * Default 0.
   */
  payloadTypeReadLag?: number;
}

const TARGET_TYPES = ['restWebhook', 'restCall', 'restAsync'] as const;

function zitadelError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ code, message, details: [] });
}

function isDeniedHost(hostname: string, release: 'v4.13' | 'later'): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '::') return true;
  if (isIP(host) !== 4) return release === 'later' && /^f[c-e]/i.test(host);
  const [a = 0, b = 0] = host.split('.').map(Number);
  if (a === 127 || host === '0.0.0.0') return true;
  return (
    release === 'later' &&
    (a === 0 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127))
  );
}

function newSigningKey(): string {
  return randomBytes(24).toString('base64url');
}

/** protojson: zero values are omitted, so `interruptOnError: false` is not sent. */
function targetJson(target: FakeTarget, view: { payloadType: string | undefined } = target) {
  const { payloadType } = view;
  return {
    id: target.id,
    creationDate: target.creationDate.toISOString(),
    changeDate: target.changeDate.toISOString(),
    name: target.name,
    [target.type]: target.interruptOnError ? { interruptOnError: true } : {},
    timeout: target.timeout,
    endpoint: target.endpoint,
    signingKey: target.signingKey,
    ...(payloadType === undefined ? {} : { payloadType }),
  };
}

export class FakeActions {
  readonly targets = new Map<string, FakeTarget>();
  /** Executions by their condition (JSON), in the order they were first set. */
  readonly executions = new Map<string, FakeExecution>();
  versions: readonly ActionsVersion[];
  denyPrivateEndpoints: boolean;
  denyListRelease: 'v4.13' | 'later';
  unknownMethods: readonly string[];
  withoutPayloadTypes: boolean;
  payloadTypeReadLag: number;
  /** Per target id: the payloadType the view still shows, and for how many more reads. */
  readonly #staleViews = new Map<string, { payloadType: string | undefined; readsLeft: number }>();

  constructor(options: FakeActionsOptions = {}) {
    this.versions = options.versions ?? ['v2', 'v2beta'];
    this.denyPrivateEndpoints = options.denyPrivateEndpoints ?? false;
    this.denyListRelease = options.denyListRelease ?? 'v4.13';
    this.unknownMethods = options.unknownMethods ?? [];
    this.withoutPayloadTypes = options.withoutPayloadTypes ?? false;
    this.payloadTypeReadLag = options.payloadTypeReadLag ?? 0;
  }

  /** The target as a read shows it: while the view lags, with the payloadType it had before the last write. */
  #viewOf(target: FakeTarget) {
    const stale = this.#staleViews.get(target.id);
    if (stale === undefined || stale.readsLeft <= 0) return targetJson(target);
    stale.readsLeft -= 1;
    return targetJson(target, stale);
  }

  /** Adds a target directly, as if created earlier by hand; answers it for further changes. */
  addTarget(init: Partial<FakeTarget> & { name: string; endpoint: string }): FakeTarget {
    const now = new Date();
    const target: FakeTarget = {
      id: nextZitadelId(),
      timeout: '10s',
      type: 'restWebhook',
      interruptOnError: false,
      signingKey: newSigningKey(),
      creationDate: now,
      changeDate: now,
      payloadType: undefined,
      publicKeys: [],
      ...init,
    };
    this.targets.set(target.id, target);
    return target;
  }

  /** Sets an execution directly (any condition, e.g. a whole service or `all`). */
  setExecution(condition: Record<string, unknown>, targets: string[]): void {
    this.executions.set(JSON.stringify(condition), { condition, targets });
  }

  /** The targets of the response execution on `method`. */
  responseTargets(method: string): string[] {
    return this.executions.get(JSON.stringify({ response: { method } }))?.targets ?? [];
  }

  /** Pass as FakeZitadel's `protectedRoutes` hook. */
  readonly mount = (app: Express): void => {
    for (const version of ['v2', 'v2beta'] as const) {
      const base = `/${version}/actions`;
      // A version the instance does not serve falls through to FakeZitadel's 404, as an unknown REST path does.
      const served = (req: Request, res: Response, next: NextFunction) =>
        this.versions.includes(version) ? this.#route(req, res) : next();
      app.post(`${base}/targets/search`, served);
      app.post(`${base}/targets`, served);
      app.post(`${base}/targets/:id`, served);
      app.get(`${base}/targets/:id`, served);
      app.put(`${base}/executions`, served);
      app.post(`${base}/executions/search`, served);
      app.post(`${base}/targets/:id/publickeys`, served);
      app.post(`${base}/targets/:id/publickeys/search`, served);
      app.post(`${base}/targets/:id/publickeys/:keyId/activate`, served);
    }
  };

  #route(req: Request, res: Response): void {
    const path = req.path.replace(/^\/v2(beta)?\/actions/, '');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const keyRoute = /^\/targets\/([^/]+)\/publickeys(\/search|\/([^/]+)\/activate)?$/.exec(path);
    if (req.method === 'POST' && keyRoute !== null) return this.#publicKeys(keyRoute, body, res);
    if (req.method === 'POST' && path === '/targets/search') return this.#listTargets(body, res);
    if (req.method === 'POST' && path === '/targets') return this.#createTarget(body, res);
    if (req.method === 'POST' && path.startsWith('/targets/'))
      return this.#updateTarget(String(req.params.id), body, res);
    if (req.method === 'GET' && path.startsWith('/targets/'))
      return this.#getTarget(String(req.params.id), res);
    if (req.method === 'PUT' && path === '/executions') return this.#setExecution(body, res);
    if (req.method === 'POST' && path === '/executions/search') return this.#listExecutions(body, res);
    zitadelError(res, 404, 5, 'Not Found');
  }

  /** Checks what CreateTarget and UpdateTarget share; answers and returns false when something is wrong. */
  #validTargetFields(body: Record<string, unknown>, res: Response, creating: boolean): boolean {
    const types = TARGET_TYPES.filter((type) => body[type] !== undefined);
    if (types.length > 1 || (creating && types.length === 0)) {
      zitadelError(res, 400, 3, 'invalid CreateTargetRequest.TargetType: value is required');
      return false;
    }
    if (creating && (typeof body.name !== 'string' || body.name.length === 0)) {
      zitadelError(res, 400, 3, 'invalid CreateTargetRequest.Name: value length must be at least 1 runes');
      return false;
    }
    if (
      body.timeout !== undefined &&
      (typeof body.timeout !== 'string' ||
        !/^[0-9]+(\.[0-9]+)?s$/.test(body.timeout) ||
        Number.parseFloat(body.timeout) > 270)
    ) {
      zitadelError(
        res,
        400,
        3,
        'invalid CreateTargetRequest.Timeout: value must be less than or equal to 4m30s',
      );
      return false;
    }
    if (creating && body.timeout === undefined) {
      zitadelError(res, 400, 3, 'Errors.Target.InvalidTimeout (COMMAND-39f35d8uri)');
      return false;
    }
    if (body.endpoint !== undefined || creating) {
      let url: URL;
      try {
        url = new URL(String(body.endpoint));
      } catch {
        zitadelError(res, 400, 3, 'Errors.Target.InvalidURL (COMMAND-1r2k6)');
        return false;
      }
      if (this.denyPrivateEndpoints && isDeniedHost(url.hostname, this.denyListRelease)) {
        zitadelError(res, 400, 3, 'Errors.Target.DeniedURL (COMMAND-NcJUKo)');
        return false;
      }
    }
    return true;
  }

  #applyType(target: FakeTarget, body: Record<string, unknown>, before: string | undefined): void {
    if (typeof body.payloadType === 'string' && !this.withoutPayloadTypes)
      target.payloadType = body.payloadType;
    if (target.payloadType !== before && this.payloadTypeReadLag > 0)
      this.#staleViews.set(target.id, { payloadType: before, readsLeft: this.payloadTypeReadLag });
    const type = TARGET_TYPES.find((candidate) => body[candidate] !== undefined);
    if (type === undefined) return;
    target.type = type;
    const settings = body[type] as { interruptOnError?: unknown };
    target.interruptOnError = type !== 'restAsync' && settings.interruptOnError === true;
  }

  #createTarget(body: Record<string, unknown>, res: Response): void {
    if (!this.#validTargetFields(body, res, true)) return;
    const name = String(body.name);
    if ([...this.targets.values()].some((target) => target.name === name)) {
      zitadelError(res, 409, 6, 'Errors.Target.AlreadyExists (COMMAND-SDf3e)');
      return;
    }
    const now = new Date();
    const target: FakeTarget = {
      id: nextZitadelId(),
      name,
      endpoint: String(body.endpoint),
      timeout: String(body.timeout),
      type: 'restWebhook',
      interruptOnError: false,
      signingKey: newSigningKey(),
      creationDate: now,
      changeDate: now,
      payloadType: undefined,
      publicKeys: [],
    };
    this.#applyType(target, body, undefined);
    this.targets.set(target.id, target);
    res.json({ id: target.id, creationDate: now.toISOString(), signingKey: target.signingKey });
  }

  #updateTarget(id: string, body: Record<string, unknown>, res: Response): void {
    const target = this.targets.get(id);
    if (target === undefined) {
      zitadelError(res, 404, 5, 'Errors.Target.NotFound (COMMAND-1n4l2)');
      return;
    }
    if (!this.#validTargetFields(body, res, false)) return;
    if (
      typeof body.name === 'string' &&
      body.name !== target.name &&
      [...this.targets.values()].some((other) => other.name === body.name)
    ) {
      zitadelError(res, 409, 6, 'Errors.Target.AlreadyExists (COMMAND-SDf3e)');
      return;
    }
    if (typeof body.name === 'string') target.name = body.name;
    if (typeof body.endpoint === 'string') target.endpoint = body.endpoint;
    if (typeof body.timeout === 'string') target.timeout = body.timeout;
    this.#applyType(target, body, target.payloadType);
    target.changeDate = new Date();
    // Only a rotation returns the key (UpdateTargetResponse.signing_key).
    if (body.expirationSigningKey !== undefined) {
      target.signingKey = newSigningKey();
      res.json({ changeDate: target.changeDate.toISOString(), signingKey: target.signingKey });
      return;
    }
    res.json({ changeDate: target.changeDate.toISOString() });
  }

  #getTarget(id: string, res: Response): void {
    const target = this.targets.get(id);
    if (target === undefined) {
      zitadelError(res, 404, 5, 'Errors.Target.NotFound (QUERY-4n8Vx)');
      return;
    }
    res.json({ target: this.#viewOf(target) });
  }

  #listTargets(body: Record<string, unknown>, res: Response): void {
    const filters = (Array.isArray(body.filters) ? body.filters : []) as {
      targetNameFilter?: { targetName?: string; method?: string };
    }[];
    // Like ZITADEL's gateway, an unknown (misspelt) filter is dropped, not refused.
    const nameFilter = filters.find((filter) => filter.targetNameFilter !== undefined)?.targetNameFilter;
    let rows = [...this.targets.values()].sort((a, b) => a.creationDate.getTime() - b.creationDate.getTime());
    if (nameFilter !== undefined) {
      const method = nameFilter.method ?? 'TEXT_FILTER_METHOD_EQUALS';
      if (method !== 'TEXT_FILTER_METHOD_EQUALS') {
        zitadelError(res, 400, 3, 'unsupported text filter method in this fake');
        return;
      }
      rows = rows.filter((target) => target.name === nameFilter.targetName);
    }
    const { offset, limit } = pagination(body);
    const total = rows.length;
    const page = rows.slice(offset, offset + limit);
    res.json({
      pagination: { totalResult: String(total), appliedLimit: String(limit) },
      ...(page.length === 0 ? {} : { targets: page.map((target) => this.#viewOf(target)) }),
    });
  }

  /** AddPublicKey, ListPublicKeys, ActivatePublicKey (proto/zitadel/action/v2/action_service.proto, 4.8+). */
  #publicKeys(route: RegExpExecArray, body: Record<string, unknown>, res: Response): void {
    const target = this.targets.get(decodeURIComponent(route[1] ?? ''));
    if (this.withoutPayloadTypes) {
      zitadelError(res, 404, 5, 'Not Found');
      return;
    }
    if (target === undefined) {
      zitadelError(res, 412, 9, 'Errors.Target.NotFound (ErrTargetNotFound)');
      return;
    }
    if (route[2] === '/search') {
      res.json({
        pagination: { totalResult: String(target.publicKeys.length), appliedLimit: '100' },
        ...(target.publicKeys.length === 0
          ? {}
          : {
              publicKeys: target.publicKeys.map((key) => ({
                keyId: key.keyId,
                ...(key.active ? { active: true } : {}),
                publicKey: Buffer.from(key.publicKeyPem, 'utf8').toString('base64'),
                ...(key.expirationDate === undefined
                  ? {}
                  : { expirationDate: key.expirationDate.toISOString() }),
              })),
            }),
      });
      return;
    }
    if (route[3] !== undefined) {
      const key = target.publicKeys.find((candidate) => candidate.keyId === route[3]);
      if (key === undefined) {
        zitadelError(res, 412, 9, 'Errors.Target.NotFound (ErrKeyNotFound)');
        return;
      }
      // Only one key is active at a time.
      for (const other of target.publicKeys) other.active = other === key;
      res.json({ changeDate: new Date().toISOString() });
      return;
    }
    const pem =
      typeof body.publicKey === 'string' ? Buffer.from(body.publicKey, 'base64').toString('utf8') : '';
    if (!pem.includes('BEGIN PUBLIC KEY')) {
      zitadelError(res, 400, 3, 'Errors.Target.InvalidPublicKey (ErrPublicKeyFormat)');
      return;
    }
    const keyId = nextZitadelId();
    target.publicKeys.push({ keyId, publicKeyPem: pem, active: false, expirationDate: undefined });
    res.json({ keyId, creationDate: new Date().toISOString() });
  }

  #setExecution(body: Record<string, unknown>, res: Response): void {
    const condition = body.condition as Record<string, unknown> | undefined;
    const kinds =
      condition === undefined
        ? []
        : Object.keys(condition).filter((key) => ['request', 'response', 'function', 'event'].includes(key));
    if (condition === undefined || kinds.length !== 1) {
      zitadelError(res, 400, 3, 'invalid SetExecutionRequest.Condition: value is required');
      return;
    }
    const method = (condition.response ?? condition.request) as { method?: unknown } | undefined;
    if (typeof method?.method === 'string' && this.unknownMethods.includes(method.method)) {
      zitadelError(res, 404, 5, 'Errors.Execution.ConditionInvalid (COMMAND-vysplsevt8)');
      return;
    }
    const targets = Array.isArray(body.targets) ? body.targets : [];
    if (!targets.every((id): id is string => typeof id === 'string')) {
      zitadelError(res, 400, 3, 'proto: syntax error: unexpected token in targets');
      return;
    }
    if (targets.some((id) => !this.targets.has(id))) {
      zitadelError(res, 404, 5, 'Errors.Target.NotFound (COMMAND-27f1e)');
      return;
    }
    const key = JSON.stringify(condition);
    this.executions.set(key, { condition, targets: [...targets] });
    res.json({ setDate: new Date().toISOString() });
  }

  #listExecutions(body: Record<string, unknown>, res: Response): void {
    const filters = (Array.isArray(body.filters) ? body.filters : []) as {
      inConditionsFilter?: { conditions?: unknown[] };
    }[];
    const conditions = filters.find((filter) => filter.inConditionsFilter !== undefined)?.inConditionsFilter
      ?.conditions;
    const wanted =
      conditions === undefined
        ? undefined
        : new Set(conditions.map((condition) => JSON.stringify(condition)));
    // Executions without targets are no-ops and are not listed.
    const rows = [...this.executions.entries()]
      .filter(([key, execution]) => execution.targets.length > 0 && (wanted === undefined || wanted.has(key)))
      .map(([, execution]) => execution);
    const { offset, limit } = pagination(body);
    const page = rows.slice(offset, offset + limit);
    res.json({
      pagination: { totalResult: String(rows.length), appliedLimit: String(limit) },
      ...(page.length === 0
        ? {}
        : {
            executions: page.map((execution) => ({
              condition: execution.condition,
              targets: execution.targets,
            })),
          }),
    });
  }
}

/** zitadel.filter.v2.PaginationRequest: offset (uint64, a string or a number), limit (default 100, at most 1000). */
function pagination(body: Record<string, unknown>): { offset: number; limit: number } {
  const request = (body.pagination ?? {}) as { offset?: string | number; limit?: number };
  const limit = request.limit === undefined || request.limit === 0 ? 100 : Math.min(request.limit, 1000);
  return { offset: Number(request.offset ?? 0), limit };
}
