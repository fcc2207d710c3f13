/**
 * The BGZF writer against htslib's bgzip and plain gzip: our files pass `bgzip -t`, decompress to the bytes
 * written with `gzip -d`, end with the EOF marker, and every virtual offset the writer reported addresses the
 * byte that was written there.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  BGZF_BLOCK_DATA,
  BGZF_EOF,
  BgzfWriter,
  bgzfCompress,
  blockOffset,
  readBgzfBlocks,
} from '../../src/io/bgzf.js';
import { InputError } from '../../src/io/errors.js';
import { Rng } from '../../src/runner/random.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir();

function run(cmd: string, args: string[]): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Text-like and incompressible pieces of awkward sizes (empty, one byte, exactly a block, just over). */
function pieces(seed: number): Buffer[] {
  const rng = new Rng(seed);
  const out: Buffer[] = [Buffer.alloc(0), Buffer.from('x')];
  for (const size of [
    BGZF_BLOCK_DATA,
    BGZF_BLOCK_DATA - 1,
    1,
    BGZF_BLOCK_DATA + 1,
    200_000,
    17,
    3 * BGZF_BLOCK_DATA,
  ]) {
    const b = Buffer.alloc(size);
    const random = out.length % 2 === 0;
    for (let i = 0; i < size; i++) b[i] = random ? Math.floor(rng.uniform() * 256) : 97 + (i % 7);
    out.push(b);
  }
  return out;
}

test('bgzip -t accepts the output, gzip -d restores the bytes, the file ends with the EOF marker', () => {
  const data = pieces(1);
  const path = join(dir, 'mixed.gz');
  const w = new BgzfWriter(path);
  for (const p of data) w.write(p);
  w.write('tail text with ünïcödé\n');
  w.close();
  const expected = Buffer.concat([...data, Buffer.from('tail text with ünïcödé\n', 'utf8')]);
  expect(w.bytesIn).toBe(expected.length);
  const t = run('bgzip', ['-t', path]);
  expect(t.stderr).toBe('');
  expect(t.code).toBe(0);
  const d = run('gzip', ['-dc', path]);
  expect(d.code).toBe(0);
  expect(d.stdout.equals(expected)).toBe(true);
  const file = readFileSync(path);
  expect(file.subarray(file.length - 28).equals(BGZF_EOF)).toBe(true);
  // every block is at most 64 KiB and holds at most BGZF_BLOCK_DATA bytes
  let blocks = 0;
  for (const b of readBgzfBlocks(path)) {
    expect(b.size).toBeLessThanOrEqual(65536);
    expect(b.data.length).toBeLessThanOrEqual(BGZF_BLOCK_DATA);
    blocks++;
  }
  expect(blocks).toBeGreaterThan(Math.ceil(expected.length / BGZF_BLOCK_DATA));
});

test('an empty file is just the EOF marker, which bgzip -t and gzip -d accept', () => {
  const path = join(dir, 'empty.gz');
  new BgzfWriter(path).close();
  expect(readFileSync(path).equals(BGZF_EOF)).toBe(true);
  expect(run('bgzip', ['-t', path]).code).toBe(0);
  expect(run('gzip', ['-dc', path]).stdout.length).toBe(0);
});

test('virtual offsets address the bytes written at them; a full block moves the offset to the next block', () => {
  const path = join(dir, 'voff.gz');
  const w = new BgzfWriter(path, { level: 1 });
  const rng = new Rng(5);
  const marks: { voffset: number; text: string }[] = [];
  for (let i = 0; i < 5000; i++) {
    const text = `record ${i} ${'z'.repeat(Math.floor(rng.uniform() * 300))}\n`;
    marks.push({ voffset: w.virtualOffset, text });
    w.write(text);
  }
  // exactly fill what is left of the current block: the next offset starts a new block (uoffset 0)
  const left = BGZF_BLOCK_DATA - (w.virtualOffset % 65536);
  w.write(Buffer.alloc(left, 65));
  expect(w.virtualOffset % 65536).toBe(0);
  w.close();
  const blocks = new Map<number, Buffer>();
  const order: number[] = [];
  for (const b of readBgzfBlocks(path)) {
    blocks.set(b.coffset, b.data);
    order.push(b.coffset);
  }
  const readAt = (voffset: number, length: number): string => {
    let c = blockOffset(voffset);
    let u = voffset % 65536;
    const parts: Buffer[] = [];
    let need = length;
    while (need > 0) {
      const data = blocks.get(c)!;
      const take = Math.min(need, data.length - u);
      parts.push(data.subarray(u, u + take));
      need -= take;
      c = order[order.indexOf(c) + 1];
      u = 0;
    }
    return Buffer.concat(parts).toString('utf8');
  };
  let crossing = 0;
  for (const m of marks) {
    expect(readAt(m.voffset, Buffer.byteLength(m.text))).toBe(m.text);
    if ((m.voffset % 65536) + m.text.length > BGZF_BLOCK_DATA) crossing++;
  }
  expect(crossing).toBeGreaterThan(5); // some records straddle two blocks
  expect(new Set(marks.map((m) => blockOffset(m.voffset))).size).toBeGreaterThan(10);
});

test('bgzfCompress makes the same stream bgzip -t accepts', () => {
  const data = Buffer.concat(pieces(2));
  const path = join(dir, 'whole.gz');
  writeFileSync(path, bgzfCompress(data));
  expect(run('bgzip', ['-t', path]).code).toBe(0);
  expect(run('gzip', ['-dc', path]).stdout.equals(data)).toBe(true);
});

test('reading blocks of plain gzip or a cut file is an InputError naming the file', () => {
  const plain = join(dir, 'plain.gz');
  writeFileSync(plain, gzipSync(Buffer.from('hello\n')));
  const err = thrown(() => [...readBgzfBlocks(plain)]);
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).describe()).toMatch(
    /plain\.gz: not a BGZF file: no gzip member with an extra field at byte 0/,
  );
  const full = join(dir, 'full.gz');
  const rng = new Rng(3);
  writeFileSync(
    full,
    bgzfCompress(Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(rng.uniform() * 256)))),
  );
  const cut = join(dir, 'cut.gz');
  writeFileSync(cut, readFileSync(full).subarray(0, 80_000)); // inside the second block
  const cutErr = thrown(() => [...readBgzfBlocks(cut)]);
  expect(cutErr).toBeInstanceOf(InputError);
  expect((cutErr as InputError).describe()).toMatch(/cut\.gz: not a BGZF file: truncated block at byte \d+/);
});
