#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { isStage, stageParser, umbrellaParser } from './parser.js';

// The `qtlflow-<stage>` launchers (scripts/bundle.mjs) name their stage before loading this module.
const stage = (globalThis as { QTLFLOW_STAGE?: string }).QTLFLOW_STAGE;
const args = hideBin(process.argv);
const parser = await (stage
  ? stageParser(stage, args)
  : isStage(args[0])
    ? stageParser(args[0], args.slice(1), `qtlflow ${args[0]}`)
    : umbrellaParser(args));
await parser.parseAsync();
