// ESLint rule `warden/layers`: the source layout's dependency direction, checked on every
// import. A module under src/ may import only from the modules listed before it, and from
// outside only through that module's index.ts; within its own module it imports freely.
import { dirname, relative, resolve, sep } from 'node:path';

/** The layer order, lowest first (design: "Source layout"). approvals (held calls decided by an operator) reads alerts and proxy types and is served by api. */
export const LAYERS = ['core', 'config', 'policy', 'storage', 'telemetry', 'limits', 'ingest', 'proxy', 'analytics', 'alerts', 'approvals', 'api', 'console', 'dashboards', 'cli'];

/**
 * Files other modules may import directly besides index.ts: the one-home vocabulary files
 * (table and column names, span attribute names), which dashboards and analytics read without
 * loading the store drivers or the OTel SDK that their module's index brings in.
 */
const ENTRY_POINTS = { storage: ['schema.ts', 'schema.js'], telemetry: ['semconv.ts', 'semconv.js'] };

/** Imports the order alone would allow but the design rules out. */
const FORBIDDEN = { proxy: { storage: 'the proxy records through telemetry and never touches the store' } };

/** `{ module, rest }` for a path under src/, else undefined. */
function locate(srcDir, path) {
  const rel = relative(srcDir, path);
  if (rel.startsWith('..') || rel === '') return undefined;
  const [module, ...rest] = rel.split(sep);
  return { module, rest: rest.join('/') };
}

function check(context, srcDir, node, specifier) {
  if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
  const from = locate(srcDir, context.filename);
  const to = locate(srcDir, resolve(dirname(context.filename), specifier));
  if (!from || !to || from.module === to.module || !to.rest) return;
  const fromLayer = LAYERS.indexOf(from.module);
  const toLayer = LAYERS.indexOf(to.module);
  if (fromLayer < 0 || toLayer < 0) {
    const unknown = fromLayer < 0 ? from.module : to.module;
    context.report({ node, messageId: 'unknown', data: { module: unknown } });
  } else if (toLayer > fromLayer) {
    context.report({ node, messageId: 'upward', data: { from: from.module, to: to.module, order: LAYERS.join(' → ') } });
  } else if (FORBIDDEN[from.module]?.[to.module]) {
    context.report({ node, messageId: 'forbidden', data: { from: from.module, to: to.module, why: FORBIDDEN[from.module][to.module] } });
  } else if (!/^index\.(ts|js)$/.test(to.rest) && !ENTRY_POINTS[to.module]?.includes(to.rest)) {
    context.report({ node, messageId: 'deep', data: { from: from.module, to: to.module, path: to.rest } });
  }
}

export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'src/ modules import only downward in the layer order, and only through index.ts' },
    schema: [{ type: 'object', properties: { srcDir: { type: 'string' } }, additionalProperties: false }],
    messages: {
      upward: 'src/{{from}} may not import from src/{{to}}: modules import only from those before them ({{order}})',
      forbidden: 'src/{{from}} may not import from src/{{to}}: {{why}}',
      deep: 'src/{{from}} imports src/{{to}}/{{path}}: import it through src/{{to}}/index.ts',
      unknown: 'src/{{module}} is not in the layer order: add it to LAYERS in eslint-rules/layers.js',
    },
  },
  create(context) {
    const srcDir = resolve(context.cwd, context.options[0]?.srcDir ?? 'src');
    const source = (node) => check(context, srcDir, node, node.source?.value);
    return {
      ImportDeclaration: source,
      ExportNamedDeclaration: source,
      ExportAllDeclaration: source,
      ImportExpression: source,
    };
  },
};

export const wardenPlugin = { meta: { name: 'warden' }, rules: { layers: layersRule } };
