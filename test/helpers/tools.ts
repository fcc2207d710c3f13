/**
 * Debian peer tools the conformance tests call (pyBigWig under the system Python, bedtools, gzip, zstd).
 * `.ci/run` installs them; under CI a missing tool fails the test, elsewhere the test is reported as skipped.
 */
import { spawnSync } from 'node:child_process';

/** The Debian interpreter: python3-pybigwig installs into it, not into a pyenv or venv python3 on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function hasPyBigWig(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import pyBigWig'], { encoding: 'utf8' }).status === 0;
}

/** Whether the system interpreter imports every named module (Debian python3-h5py, python3-statsmodels, …). */
export function hasPythonModules(...modules: string[]): boolean {
  return (
    spawnSync(SYSTEM_PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' })
      .status === 0
  );
}

export function hasCommand(cmd: string, args = ['--version']): boolean {
  return spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
}

/** describe, or describe.skip with a warning when the tool is missing outside CI (under CI it must be there). */
export function describeWithTool(available: boolean, what: string): jest.Describe {
  if (available) return describe;
  if (process.env.CI) throw new Error(`${what} is missing under CI: .ci/run installs it`);
  console.warn(`${what} is not installed: these tests are skipped`);
  return describe.skip;
}

/** Runs a Python program with the system interpreter and parses its JSON stdout. */
export function python<T>(program: string, args: string[] = []): T {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', program, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
