#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { stageParser } from '../parser.js';

await stageParser('coloc', hideBin(process.argv)).parseAsync();
