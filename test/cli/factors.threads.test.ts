/**
 * `qtlflow factors --threads N`: the PEER products run on worker threads over shared memory, and the factors
 * are bit-identical to a single-threaded run (each element is the same ordered dot product). Real input: the
 * 364 Geuvadis chr22 genes × 330 samples of refs/cis_sparse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCovariates } from '../../src/io/contracts.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

test('PEER factors with 1 and 3 threads are identical', async () => {
  const dir = tempDir();
  const outs = [1, 3].map((t) => {
    const out = join(dir, `t${t}.parquet`);
    const r = runCli([
      'factors',
      '--phenotypes',
      sharedPath('refs/cis_sparse/phenotypes.bed.gz'),
      '--k',
      '20',
      '--max-iter',
      '50',
      '--threads',
      String(t),
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`PEER \\(${t} threads?\\): \\d+ iterations`));
    return out;
  });
  const [a, b] = await Promise.all(outs.map((o) => readCovariates(o)));
  expect(b.names).toEqual(a.names);
  expect(a.names).toHaveLength(20);
  expect(Buffer.from(b.values.buffer).equals(Buffer.from(a.values.buffer))).toBe(true);
  const s = outs.map((o) => JSON.parse(readFileSync(o.replace(/\.parquet$/, '.summary.json'), 'utf8')).peer);
  expect(s.map((p) => p.threads)).toEqual([1, 3]);
  expect(s[1].lower_bound).toBe(s[0].lower_bound);
});
