function diploidRun(b, start, e, nSamples, slot) {
  const fit = Math.min(nSamples, Math.floor((e - start + 1) / 4));
  let j = 0;
  for (let p = start; j < fit; j++, p += 4) {
    const a1 = b[p] - 48; const sp = b[p + 1]; const a2 = b[p + 2] - 48;
    if (a1 >>> 0 > 9 || a2 >>> 0 > 9 || (sp !== 124 && sp !== 47) || (b[p + 3] !== 9 && p + 3 !== e)) break;
    slot[j] = (a1 === 0 ? 0 : 1) + (a2 === 0 ? 0 : 1);
  }
  return j;
}
function dip2(b, start, e, nSamples, slot) {
  const fit = Math.min(nSamples, Math.floor((e - start + 1) / 4));
  let j = 0, bad = 0;
  for (let p = start; j < fit; j++, p += 4) {
    const a1 = b[p] - 48, sp = b[p + 1], a2 = b[p + 2] - 48;
    bad |= (a1 | a2 | (9 - a1) | (9 - a2)) & ~0x7fffffff ? 1 : 0;
    slot[j] = ((a1 + 63) >> 6) + ((a2 + 63) >> 6);
  }
  return bad ? -1 : j;
}
const n = 330; const line = Buffer.from(Array.from({ length: n }, (_, i) => `${i % 3 ? 0 : 1}|${i % 5 ? 0 : 1}`).join('\t'));
const slot = new Float32Array(n);
for (const [name, f] of [['cur', diploidRun], ['bitops', dip2], ['cur', diploidRun]]) {
  let s = 0; const t = process.hrtime.bigint();
  for (let k = 0; k < 20000; k++) { s += f(line, 0, line.length, n, slot); }
  console.log(name, (Number(process.hrtime.bigint() - t) / 20000 / n).toFixed(2), 'ns/genotype', s);
}
const u8 = new Uint8Array(line);
for (const [name, f] of [['cur-u8', diploidRun], ['bitops-u8', dip2]]) {
  let s = 0; const t = process.hrtime.bigint();
  for (let k = 0; k < 20000; k++) { s += f(u8, 0, u8.length, n, slot); }
  console.log(name, (Number(process.hrtime.bigint() - t) / 20000 / n).toFixed(2), 'ns/genotype', s);
}
