/** Command-line flags for the segment stage's inputs of a simulated cohort (src/runner/simulate-segment.ts). */
import type { SegmentSimTruth } from '../../src/runner/simulate-segment.js';

export function segmentInputArgs(files: SegmentSimTruth['files'], segmentation = true): string[] {
  return [
    '--genotypes',
    files.genotypes,
    '--quantifications',
    files.quantifications,
    '--covariates',
    files.covariates,
    '--copynumber',
    files.copynumber,
    ...(segmentation ? ['--segmentation', files.segmentation] : []),
  ];
}
