import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Histogram, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLimiterMetrics } from '../../src/metrics/limiterMetrics.js';
import { dashboardQueries, withGrafanaVariablesFilled } from '../../scripts/dashboardQueries.js';
import { at, parseYaml, type YamlValue } from './yamlFile.js';

// The operator pictures in ops/: promtool runs the alert rules' own tests (scripts/test-alert-rules.sh); this file
// checks that dashboard and rules read what the limiter really exports, so a renamed metric cannot leave them blank.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');
const DASHBOARD_PATH = 'ops/grafana/session-limiter.json';

/** Every series name a scrape can hold, read from a real registry: histograms as their _bucket, _sum and _count. */
async function exportedSeriesNames(): Promise<Set<string>> {
  const metrics = createLimiterMetrics({ settings: { limit: 3, strategy: 'evict-oldest', dryRun: false } });
  const names = new Set<string>();
  for (const { name } of await metrics.registry.getMetricsAsJSON()) {
    names.add(name);
    const metric = metrics.registry.getSingleMetric(name);
    if (metric instanceof Histogram)
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (metric instanceof Summary) for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'start',
  'end',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, ranges and grouping labels
 * are gone, minus function names (followed by "(") and keywords. Strict on purpose: a misspelled name stays in.
 */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*|[0-9][A-Za-z0-9_.]*/g)) {
    const token = match[0];
    if (/^[0-9]/.test(token) || PROMQL_KEYWORDS.has(token.toLowerCase())) continue;
    if (/^\s*\(/.test(bare.slice(match.index + token.length))) continue;
    names.push(token);
  }
  return names;
}

/** Every value under a "datasource" key, anywhere in the dashboard. */
function datasourcesIn(node: unknown): unknown[] {
  if (Array.isArray(node)) return node.flatMap(datasourcesIn);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) =>
    key === 'datasource' ? [value, ...datasourcesIn(value)] : datasourcesIn(value),
  );
}

const asList = (value: YamlValue): YamlValue[] => (Array.isArray(value) ? value : []);
const asText = (value: YamlValue): string => (typeof value === 'string' ? value : '');

function alertRules(): { alert: string; expr: string }[] {
  const rules = parseYaml(read('ops/prometheus/alerts.yml'));
  return asList(at(rules, 'groups')).flatMap((group) =>
    asList(at(group, 'rules')).map((rule) => ({
      alert: asText(at(rule, 'alert')),
      expr: asText(at(rule, 'expr')),
    })),
  );
}

function alertTests(): YamlValue[] {
  return asList(at(parseYaml(read('ops/prometheus/alerts.test.yml')), 'tests'));
}

describe('metricNamesIn, the reader these checks stand on', () => {
  it.each([
    ['sum by (job) (rate(a_total{outcome="x"}[5m])) / sum(rate(b_total[5m])) > 0.05', ['a_total', 'b_total']],
    ['histogram_quantile(0.99, sum by (le) (rate(d_bucket[$__rate_interval])))', ['d_bucket']],
    [
      '(time() - last_seconds > 600) and on (job, instance) (c_total offset 5m > 0)',
      ['last_seconds', 'c_total'],
    ],
    ['count(ready{job=~"$job"} == 0) or vector(0)', ['ready']],
    ['sum(rate(misspeled_total{reason="by (x)"}[5m]))', ['misspeled_total']],
  ])('reads %s as %j', (expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });
});

describe('the Grafana dashboard (ops/grafana/session-limiter.json)', () => {
  const dashboard = JSON.parse(read(DASHBOARD_PATH)) as {
    uid: unknown;
    title: unknown;
    schemaVersion: unknown;
    panels: { id: number; type: string; gridPos: { x: number; y: number; w: number; h: number } }[];
    templating: { list: { name: string; type: string; query: unknown }[] };
  };

  it('is a dashboard Grafana imports: a uid, a title, panels with unique ids on the 24-column grid, not overlapping', () => {
    expect(dashboard.uid).toBe('zitadel-session-limiter');
    expect(typeof dashboard.title).toBe('string');
    expect(typeof dashboard.schemaVersion).toBe('number');
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const taken = new Set<string>();
    for (const { id, gridPos } of dashboard.panels) {
      expect(gridPos.x + gridPos.w, `panel ${id} is wider than the grid`).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++)
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(taken.has(`${x},${y}`), `panel ${id} overlaps another at ${x},${y}`).toBe(false);
          taken.add(`${x},${y}`);
        }
    }
  });

  it('asks which Prometheus to read, and every panel and query reads from that choice', () => {
    const choice = dashboard.templating.list.find((variable) => variable.type === 'datasource');
    expect(choice).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const chosen = { type: 'prometheus', uid: '${datasource}' };
    const sources = datasourcesIn(dashboard);
    expect(sources.length).toBeGreaterThan(20);
    // Only the built-in annotation source is Grafana's own.
    const others = sources.filter((source) => JSON.stringify(source) !== JSON.stringify(chosen));
    expect(others).toEqual([{ type: 'grafana', uid: '-- Grafana --' }]);
  });

  it('shows webhooks by outcome, undecided by reason, enforcement quantiles, deletions, ZITADEL calls and readiness', () => {
    const exprs = dashboardQueries(dashboard).map((query) => query.expr);
    const reads = (pattern: RegExp) => exprs.some((expr) => pattern.test(expr));
    expect(reads(/sum by \(outcome\) \(rate\(zitadel_session_limiter_webhooks_total\{/)).toBe(true);
    expect(
      reads(/sum by \(reason\) \(rate\(zitadel_session_limiter_webhooks_total\{outcome="undecided"/),
    ).toBe(true);
    expect(reads(/histogram_quantile\(0\.99, .*enforcement_duration_seconds_bucket/)).toBe(true);
    expect(reads(/zitadel_session_limiter_sessions_deleted_total/)).toBe(true);
    expect(reads(/zitadel_session_limiter_session_delete_failures_total/)).toBe(true);
    expect(reads(/histogram_quantile\(.*zitadel_request_duration_seconds_bucket/)).toBe(true);
    expect(
      reads(/sum by \(status\) \(rate\(zitadel_session_limiter_zitadel_request_duration_seconds_count/),
    ).toBe(true);
    expect(reads(/^zitadel_session_limiter_ready\{/)).toBe(true);
  });

  it('reads only metrics the limiter exports, in every panel and variable', async () => {
    const exported = await exportedSeriesNames();
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(20);
    for (const { where, expr } of queries) {
      const names = metricNamesIn(withGrafanaVariablesFilled(expr));
      expect(names.length, `${where} reads no metric`).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${where} reads ${name}`).toBe(true);
    }
  });
});

describe('the alert rules (ops/prometheus/alerts.yml)', () => {
  it('read only metrics the limiter exports', async () => {
    const exported = await exportedSeriesNames();
    const rules = alertRules();
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'SessionLimiterNotReady',
        'SessionLimiterUndecidedRateHigh',
        'SessionLimiterDeletionsFailing',
        'SessionLimiterRateLimitPauses',
        'SessionLimiterZitadelUnreachable',
      ]),
    );
    for (const { alert, expr } of rules) {
      const names = metricNamesIn(expr);
      expect(names.length, `${alert} reads no metric`).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${alert} reads ${name}`).toBe(true);
    }
  });

  it('are tested on series the limiter really exports', async () => {
    const exported = await exportedSeriesNames();
    const series = alertTests().flatMap((test) =>
      asList(at(test, 'input_series')).map((input) => asText(at(input, 'series'))),
    );
    expect(series.length).toBeGreaterThan(0);
    for (const selector of series) expect(exported.has(selector.split('{')[0]!), selector).toBe(true);
  });

  it('each have a promtool test where they fire and one where they do not', () => {
    const cases = alertTests().flatMap((test) => asList(at(test, 'alert_rule_test')));
    for (const { alert } of alertRules()) {
      const own = cases.filter((testCase) => asText(at(testCase, 'alertname')) === alert);
      const fired = own.map((testCase) => asList(at(testCase, 'exp_alerts')).length > 0);
      expect(fired, `${alert}: [fires?] per test case`).toContain(true);
      expect(fired, `${alert}: [fires?] per test case`).toContain(false);
    }
  });

  // promtool compares the annotations word for word, but only in CI: this catches a rule edited without its test.
  it('expect in their promtool tests the annotations the rules write (templates aside)', () => {
    const annotationsOf = new Map<string, YamlValue>();
    for (const group of asList(at(parseYaml(read('ops/prometheus/alerts.yml')), 'groups')))
      for (const rule of asList(at(group, 'rules')))
        annotationsOf.set(asText(at(rule, 'alert')), at(rule, 'annotations'));
    const asPattern = (template: string) =>
      new RegExp(
        `^${template
          .split(/\{\{.*?\}\}/)
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.+?')}$`,
        's',
      );
    let compared = 0;
    for (const testCase of alertTests().flatMap((test) => asList(at(test, 'alert_rule_test')))) {
      const alert = asText(at(testCase, 'alertname'));
      for (const expected of asList(at(testCase, 'exp_alerts')))
        for (const key of ['summary', 'description']) {
          const text = asText(at(at(expected, 'exp_annotations'), key));
          if (text === '') continue;
          expect(text, `${alert} ${key}`).toMatch(asPattern(asText(at(annotationsOf.get(alert) ?? {}, key))));
          compared += 1;
        }
    }
    expect(compared).toBeGreaterThan(0);
  });
});
