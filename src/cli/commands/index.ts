/**
 * Every stage command, in pipeline order, each loaded on demand: a stage run loads its own command module
 * (and through it its stage's code) and no other, and the bundle is split per command (scripts/bundle.mjs),
 * so a stage's start-up does not pay for compiling and initializing every other stage. A command may declare
 * positionals after its name (`report [inputs..]`).
 */
import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<object, any>;

const LOADERS: [name: string, load: () => Promise<AnyCommand>][] = [
  ['import', async () => (await import('./import.js')).importCommand],
  ['pseudobulk', async () => (await import('./pseudobulk.js')).pseudobulkCommand],
  ['normalize', async () => (await import('./normalize.js')).normalizeCommand],
  ['factors', async () => (await import('./factors.js')).factorsCommand],
  ['annotate', async () => (await import('./annotate.js')).annotateCommand],
  ['cis', async () => (await import('./cis.js')).cisCommand],
  ['cis-merge', async () => (await import('./cis-merge.js')).cisMergeCommand],
  ['coverage', async () => (await import('./coverage.js')).coverageCommand],
  ['finemap', async () => (await import('./finemap.js')).finemapCommand],
  ['coloc', async () => (await import('./coloc.js')).colocCommand],
  ['report', async () => (await import('./report.js')).reportCommand],
  ['trans', async () => (await import('./trans.js')).transCommand],
  ['rare', async () => (await import('./rare.js')).rareCommand],
  ['segment', async () => (await import('./segment.js')).segmentCommand],
];

/** The stage names, in pipeline order. */
export const STAGE_NAMES: readonly string[] = LOADERS.map(([name]) => name);

/** One stage's command (undefined for a name that is not a stage). */
export async function loadStageCommand(stage: string): Promise<AnyCommand | undefined> {
  return LOADERS.find(([name]) => name === stage)?.[1]();
}

/** Every stage command, in pipeline order (the umbrella parser: `qtlflow --help`, `run`, `demo`). */
export async function loadStageCommands(): Promise<AnyCommand[]> {
  return Promise.all(LOADERS.map(([, load]) => load()));
}
