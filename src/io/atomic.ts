import { existsSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * A set of output files written under temporary names and renamed into place only when the whole
 * stage has succeeded, so a failed or interrupted run never leaves a partial output behind.
 */
export class OutputSet {
  private readonly pending = new Map<string, string>();
  private readonly token = `${process.pid}-${randomBytes(4).toString('hex')}`;

  /** Returns the temporary path to write `finalPath` to. */
  claim(finalPath: string): string {
    const existing = this.pending.get(finalPath);
    if (existing) return existing;
    mkdirSync(dirname(finalPath) || '.', { recursive: true });
    const tmp = join(dirname(finalPath), `.${basename(finalPath)}.tmp-${this.token}`);
    this.pending.set(finalPath, tmp);
    return tmp;
  }

  /** Final paths claimed so far, in claim order. */
  paths(): string[] {
    return [...this.pending.keys()];
  }

  /** Renames every temporary file to its final name. */
  commit(): void {
    for (const [finalPath, tmp] of this.pending) {
      if (!existsSync(tmp)) throw new Error(`output ${finalPath} was claimed but never written`);
    }
    for (const [finalPath, tmp] of this.pending) renameSync(tmp, finalPath);
    this.pending.clear();
  }

  /** Removes every temporary file (called when the stage fails). */
  abort(): void {
    for (const tmp of this.pending.values()) rmSync(tmp, { force: true });
    this.pending.clear();
  }
}
