/**
 * The thread that writes the cis pair tables (nominal, interaction): it receives the mapper's batches, computes
 * each pair's p-value, slope and standard error (`NominalBatch.columns`) and encodes the Parquet.
 */
import { serveTables } from '../../io/parquet-worker.js';
import { revivePayload } from './batches.js';
import type { PairPayload } from './batches.js';

serveTables((p) => revivePayload(p as PairPayload).columns());
