/** The README's first command: the demo cohort through the stages, with recovery of the planted truth. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPhenotypes } from '../../src/io/contracts.js';
import { simulateCohort } from '../../src/runner/simulate.js';
import { runCli, tempDir } from '../helpers/cli.js';

test('qtlflow demo runs normalize on the simulated cohort and recovers the planted structure', async () => {
  const dir = tempDir();
  const r = runCli(['demo', '--out-dir', dir, '--quiet']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/failed library DEMO0007 flagged/);
  const summary = JSON.parse(readFileSync(join(dir, 'demo.summary.json'), 'utf8'));
  expect(summary.normalize.failed_library_flagged).toBe(true);
  expect(summary.normalize.other_samples_flagged).toEqual([]);
  expect(summary.normalize.tmm_vs_true_composition_log_correlation).toBeGreaterThan(0.7);
  expect(existsSync(join(dir, 'inputs', 'counts.bed.gz'))).toBe(true);
  const p = await readPhenotypes(join(dir, 'normalize', 'phenotypes.parquet'));
  expect(p.samples.length).toBe(120);
  expect(p.phenotypeId.length).toBe(summary.normalize.genes.written);
});

test('the simulator is deterministic for a seed and differs across seeds', () => {
  const a = simulateCohort({ samples: 20, genes: 100, seed: 5 });
  const b = simulateCohort({ samples: 20, genes: 100, seed: 5 });
  const c = simulateCohort({ samples: 20, genes: 100, seed: 6 });
  expect(Array.from(a.counts)).toEqual(Array.from(b.counts));
  expect(Array.from(a.counts)).not.toEqual(Array.from(c.counts));
  // the composition shift: samples in the second half have their planted block 5× up, so a smaller factor
  expect(a.truth.compositionFactor[15]).toBeLessThan(a.truth.compositionFactor[2]);
});
