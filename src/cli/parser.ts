/**
 * The yargs parsers: `qtlflow <stage> …` (umbrella) and `qtlflow-<stage> …` (one stage). Strict: an
 * unknown flag is a usage error (exit 2).
 */
import yargs from 'yargs';
import type { Argv, CommandModule } from 'yargs';
import { VERSION } from '../version.js';
import { EXIT_INPUT } from './framework.js';
import { STAGE_NAMES, loadStageCommand, loadStageCommands } from './commands/index.js';

function failHandler(scriptName: string) {
  return (msg: string | undefined, err: Error | undefined, y: Argv): void => {
    if (err && !msg) throw err;
    process.stderr.write(`${scriptName}: ${msg ?? err?.message}\nRun '${scriptName} --help' for usage.\n`);
    void y;
    process.exit(EXIT_INPUT);
  };
}

export async function umbrellaParser(args: string[]): Promise<Argv> {
  const [stages, { runCommand }, { demoCommand }] = await Promise.all([
    loadStageCommands(),
    import('./commands/run.js'),
    import('./commands/demo.js'),
  ]);
  let y = yargs(args).scriptName('qtlflow').usage('$0 <stage> [options]');
  for (const c of stages) y = y.command(c);
  y = y.command(runCommand).command(demoCommand);
  return y
    .demandCommand(1, 'Name a stage to run')
    .strict()
    .version(VERSION)
    .help()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .fail(failHandler('qtlflow'));
}

/** A stage command by name, and its command string for a parser of that stage alone (`$0` + its positionals). */
async function stageCommand(
  stage: string,
): Promise<{ c: CommandModule<object, unknown>; single: string } | undefined> {
  const c = await loadStageCommand(stage);
  return c && { c, single: ['$0', ...String(c.command).split(' ').slice(1)].join(' ') };
}

/** True when `stage` names a stage command (`qtlflow <stage> …` then parses with that stage's own parser). */
export function isStage(stage: string | undefined): stage is string {
  return stage !== undefined && STAGE_NAMES.includes(stage);
}

/**
 * The parser of one stage. `qtlflow <stage> …` uses it too (scriptName `qtlflow <stage>`): as the parser's
 * default command the stage runs without yargs first rendering and caching the whole help text, which it does
 * for a named subcommand (≈60 ms of every run).
 */
export async function stageParser(
  stage: string,
  args: string[],
  scriptName = `qtlflow-${stage}`,
): Promise<Argv> {
  const found = await stageCommand(stage);
  if (!found) throw new Error(`unknown stage ${stage}`);
  const single: CommandModule<object, unknown> = { ...found.c, command: found.single };
  return yargs(args)
    .scriptName(scriptName)
    .command(single)
    .strict()
    .version(VERSION)
    .help()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .fail(failHandler(scriptName));
}

/**
 * Parses a stage command line with the stage's own strict parser without running it. Returns the error
 * message, or undefined when the flags are accepted. Used to check that pipeline modules cannot drift
 * from the CLIs they call.
 */
export async function validateStageArgs(stage: string, args: string[]): Promise<string | undefined> {
  const found = await stageCommand(stage);
  if (!found) return `unknown stage '${stage}'`;
  let error: string | undefined;
  const dryRun: CommandModule<object, unknown> = {
    ...found.c,
    command: found.single,
    handler: () => undefined,
  };
  await yargs(args)
    .command(dryRun)
    .strict()
    .exitProcess(false)
    .fail((msg, err) => {
      error = msg ?? err?.message;
    })
    .parseAsync();
  return error;
}
