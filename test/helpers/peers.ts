/**
 * Peer tools the conformance tests run live (R with susieR, bcftools). `.ci/run` installs them; a missing tool
 * fails the test with the package to install, it is never skipped.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function requireTool(cmd: string, check: string[], debianPackage: string): void {
  const r = spawnSync(cmd, check, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${check.join(' ')} failed: install Debian ${debianPackage} (.ci/run does) — ${r.stderr ?? r.error}`,
    );
}

/** Runs an R script (written to `dir`) with arguments; returns stdout. */
export function runR(dir: string, name: string, script: string, args: string[] = []): string {
  const path = join(dir, name);
  writeFileSync(path, script);
  const r = spawnSync('Rscript', [path, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`Rscript ${name} failed:\n${r.stderr}`);
  return r.stdout;
}

export function requireSusieR(): void {
  requireTool(
    'Rscript',
    ['-e', 'suppressMessages(library(susieR)); stopifnot(packageVersion("susieR") == "0.12.35")'],
    'r-cran-susier (0.12.35)',
  );
}
