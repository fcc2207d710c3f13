#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { umbrellaParser } from './parser.js';

await umbrellaParser(hideBin(process.argv)).parseAsync();
