/**
 * The PromQL queries of a Grafana dashboard (panel targets, nested row panels included, and the selectors of its
 * `label_values` variables), so that tests and promtool can check them without Grafana.
 */
export interface DashboardQuery {
  /** Where the query sits, for a failure message: `panel 7 "Webhooks by outcome" target A`. */
  readonly where: string;
  readonly expr: string;
}

type Json = unknown;

const isObject = (value: Json): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const listAt = (value: Json, key: string): Json[] => {
  const found = isObject(value) ? value[key] : undefined;
  return Array.isArray(found) ? found : [];
};

// label_values(selector, label): Grafana's variable query; only the selector is PromQL.
const LABEL_VALUES = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/s;

function variableQuery(variable: Record<string, Json>): string | undefined {
  const query = isObject(variable.query) ? variable.query.query : variable.query;
  if (typeof query !== 'string') return undefined;
  return LABEL_VALUES.exec(query.trim())?.[1]?.trim() ?? query;
}

export function dashboardQueries(dashboard: Json): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (panels: Json[]): void => {
    for (const panel of panels) {
      if (!isObject(panel)) continue;
      for (const target of listAt(panel, 'targets'))
        if (isObject(target) && typeof target.expr === 'string')
          queries.push({
            where: `panel ${String(panel.id)} "${String(panel.title)}" target ${String(target.refId)}`,
            expr: target.expr,
          });
      visit(listAt(panel, 'panels'));
    }
  };
  visit(listAt(dashboard, 'panels'));
  const templating = isObject(dashboard) ? dashboard.templating : undefined;
  for (const variable of listAt(templating, 'list')) {
    if (!isObject(variable) || variable.type !== 'query') continue;
    const expr = variableQuery(variable);
    if (expr !== undefined) queries.push({ where: `variable $${String(variable.name)}`, expr });
  }
  return queries;
}

/**
 * The query as Prometheus would get it: Grafana's interval variables become a duration, every other variable (they
 * only ever sit inside a label matcher's quotes) a match-anything regex.
 */
export function withGrafanaVariablesFilled(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (_match, name: string) => (name.startsWith('__') ? '5m' : '.*'));
}
