// `node --import ./test/helpers/no-typescript.mjs …` (or in NODE_OPTIONS, for child processes
// too): any module that resolves to TypeScript source, tsx or esbuild fails to load, so a test
// can show that the built package runs as plain JavaScript.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      const found = await next(specifier, context);
      if (/\\.[cm]?ts$/.test(new URL(found.url).pathname) || /\\/node_modules\\/(tsx|esbuild)\\//.test(found.url)) {
        throw new Error('loaded TypeScript tooling: ' + found.url);
      }
      return found;
    }
  `)}`,
);
