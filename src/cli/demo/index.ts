export { runDemo, type DemoOptions, type RunningDemo } from './run.js';
export { formatReport, backtestByAgent, type DemoReport } from './report.js';
