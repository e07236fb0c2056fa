#!/usr/bin/env node
// The `dreamlayer` command. TypeScript sources run directly through tsx, so a
// fresh `npm install` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../daemon/src/cli/main.ts');
await main(process.argv);
