// `npm run lint` runs this after tsc. Modest on purpose: typescript-eslint's recommended rules
// and Warden's own `warden/layers` (the source layout's import direction, eslint-rules/layers.js).
import tseslint from 'typescript-eslint';
import { wardenPlugin } from './eslint-rules/layers.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'dashboards/', 'dist/', 'coverage/', '.tmp/'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.recommended],
    plugins: { warden: wardenPlugin },
    rules: {
      'warden/layers': 'error',
      // A leading underscore marks a parameter an interface requires but this code ignores.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read JSON bodies loosely; a wrong shape fails the assertion that reads it.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
