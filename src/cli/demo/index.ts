export { runDemo, type DemoOptions, type RunningDemo } from './run.js';
export { formatReport, backtestByAgent, forwardByAgent, type DemoReport } from './report.js';
