#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { stageParser } from '../parser.js';

await stageParser('coverage', hideBin(process.argv)).parseAsync();
