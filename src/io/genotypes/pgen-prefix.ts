/** The PLINK 2 fileset prefix from any of its names (kept apart so that naming a file loads no decoder). */
export function pgenPrefix(path: string): string {
  return path.replace(/\.(pgen|pvar|pvar\.zst|psam)$/, '');
}
