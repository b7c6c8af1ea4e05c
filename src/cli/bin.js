#!/usr/bin/env node
// The `warden` executable. Warden ships as TypeScript and runs through tsx's loader,
// so there is no build step between `npm ci` and `npm start`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
