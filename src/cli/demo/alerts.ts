/** The rule the demo expects to fire on the runaway agent. */
export const DEMO_ALERT_RULE = 'runaway-writes';

/** The demo's alerts file: design.md's example rules, notifying the demo's local webhook. */
export function demoAlertsYaml(webhookUrl: string): string {
  return `repeat_interval: 4h
targets:
  demo: { type: webhook, url: ${JSON.stringify(webhookUrl)} }
rules:
  - name: ${DEMO_ALERT_RULE}
    when: { calls_per_minute: { above: 60 }, risk: [write, execute, destructive] }
    for: 0s
    severity: critical
    notify: [demo]
  - name: anomalies
    when: { anomaly: [bulk_write_burst, lifecycle_violation, repeat_loop, deny_storm], severity_at_least: high }
    notify: [demo]
`;
}
