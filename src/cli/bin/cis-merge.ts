#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { stageParser } from '../parser.js';

await stageParser('cis-merge', hideBin(process.argv)).parseAsync();
