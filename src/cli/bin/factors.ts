#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { stageParser } from '../parser.js';

await stageParser('factors', hideBin(process.argv)).parseAsync();
