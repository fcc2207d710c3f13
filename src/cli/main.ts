#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { stageParser, umbrellaParser } from './parser.js';

// The `qtlflow-<stage>` launchers (scripts/bundle.mjs) name their stage before loading this module.
const stage = (globalThis as { QTLFLOW_STAGE?: string }).QTLFLOW_STAGE;
const args = hideBin(process.argv);
await (stage ? stageParser(stage, args) : umbrellaParser(args)).parseAsync();
