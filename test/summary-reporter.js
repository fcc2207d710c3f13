/** Prints one plain closing line, `N passed, N failed, N skipped`, after Jest's own summary. */
export default class SummaryLineReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}
