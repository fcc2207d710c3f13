/** Every stage command, in pipeline order. A command may declare positionals after its name (`report [inputs..]`). */
import type { CommandModule } from 'yargs';
import { normalizeCommand } from './normalize.js';
import { importCommand } from './import.js';
import { cisCommand } from './cis.js';
import { cisMergeCommand } from './cis-merge.js';
import { coverageCommand } from './coverage.js';
import { finemapCommand } from './finemap.js';
import { colocCommand } from './coloc.js';
import { factorsCommand } from './factors.js';
import { reportCommand } from './report.js';
import { annotateCommand } from './annotate.js';
import { rareCommand } from './rare.js';
import { transCommand } from './trans.js';
import { pseudobulkCommand } from './pseudobulk.js';
import { segmentCommand } from './segment.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const stageCommands: CommandModule<object, any>[] = [
  importCommand,
  pseudobulkCommand,
  normalizeCommand,
  factorsCommand,
  annotateCommand,
  cisCommand,
  cisMergeCommand,
  coverageCommand,
  finemapCommand,
  colocCommand,
  reportCommand,
  transCommand,
  rareCommand,
  segmentCommand,
];
