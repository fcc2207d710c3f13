/**
 * `npm run check:pipeline [-- ROOT] [--json | --dag]`: the static Nextflow checks from the command line.
 * Prints each issue as `file:line:column: message [kind]` and exits 1 if there is any; `--dag` prints the
 * entry workflow's process DAG as JSON, `--json` everything the checker extracted.
 */
import { checkPipeline, formatIssue } from './nf-check.js';

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const unknown = [...flags].filter((f) => f !== '--json' && f !== '--dag');
const roots = args.filter((a) => !a.startsWith('--'));
if (unknown.length > 0 || roots.length > 1) {
  process.stderr.write('usage: check-pipeline [ROOT] [--json | --dag]\n');
  process.exit(2);
}
const result = checkPipeline(roots[0] ?? '.');
if (flags.has('--json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
else if (flags.has('--dag')) process.stdout.write(JSON.stringify(result.dag, null, 2) + '\n');
for (const issue of result.issues) process.stderr.write(formatIssue(issue) + '\n');
if (!flags.has('--json') && !flags.has('--dag') && result.issues.length === 0) {
  const files = result.files.length + result.config.files.length;
  process.stderr.write(
    `${result.dag.entry}: ${files} files checked, ${result.dag.nodes.length} processes in the DAG, no issues\n`,
  );
}
process.exit(result.issues.length > 0 ? 1 : 0);
