function dip4(b, start, e, nSamples, slot) {
  const fit = Math.min(nSamples, Math.floor((e - start + 1) / 4));
  if (fit === 0) return 0;
  let bad = 0;
  let p = start;
  for (let j = 0; j < fit; j++, p += 4) {
    const a1 = b[p] - 48;
    const a2 = b[p + 2] - 48;
    const sp = b[p + 1];
    bad |= ((a1 | a2 | (9 - a1) | (9 - a2)) >>> 31) | ((sp - 124) * (sp - 47)) | (b[p + 3] - 9);
    slot[j] = ((a1 + 63) >> 6) + ((a2 + 63) >> 6);
  }
  return bad === 0 ? fit : -1;
}
const n = 330; const line = Buffer.from(Array.from({ length: n }, (_, i) => `${i % 3 ? 0 : 1}|${i % 5 ? 0 : 1}`).join('\t') + '\n');
const slot = new Float32Array(n);
for (let r = 0; r < 3; r++) { let s = 0; const t = process.hrtime.bigint();
  for (let k = 0; k < 20000; k++) s += dip4(line, 0, line.length - 1, n, slot);
  console.log('dip4', (Number(process.hrtime.bigint() - t) / 20000 / n).toFixed(2), 'ns/genotype', s, slot.slice(0, 6).join()); }
