/**
 * Whether this code runs from the esbuild bundle (dist/bin, scripts/bundle.mjs defines QTLFLOW_BUNDLE) or from
 * the compiled modules (dist/src, tests). Worker threads are separate entry points in the bundle, so their
 * URLs differ between the two.
 */
declare const QTLFLOW_BUNDLE: boolean | undefined;

export const BUNDLED = typeof QTLFLOW_BUNDLE !== 'undefined' && QTLFLOW_BUNDLE === true;
