/**
 * Prints a Grafana dashboard's queries as a Prometheus rules file, one recording rule per query, so that
 * `promtool check rules` parses each one (scripts/test-alert-rules.sh). Usage: tsx scripts/dashboardQueryRules.ts <dashboard.json>
 */
import { readFileSync } from 'node:fs';
import { dashboardQueries, withGrafanaVariablesFilled } from './dashboardQueries.js';

const path = process.argv[2];
if (path === undefined) {
  console.error('usage: tsx scripts/dashboardQueryRules.ts <dashboard.json>');
  process.exit(2);
}
const queries = dashboardQueries(JSON.parse(readFileSync(path, 'utf8')));
if (queries.length === 0) {
  console.error(`${path}: no queries found`);
  process.exit(1);
}
const lines = ['groups:', '  - name: dashboard-queries', '    rules:'];
queries.forEach(({ where, expr }, index) => {
  lines.push(`      # ${where}`);
  lines.push(`      - record: 'dashboard:query_${index + 1}'`);
  // A JSON string is a valid YAML double-quoted scalar.
  lines.push(`        expr: ${JSON.stringify(withGrafanaVariablesFilled(expr))}`);
});
console.log(lines.join('\n'));
