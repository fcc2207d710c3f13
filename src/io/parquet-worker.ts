/**
 * The body of a Parquet writer thread (parquet-thread.ts): one ParquetTableWriter per table the main thread
 * opens; `prepare` turns each payload into the table's columns.
 */
import { parentPort } from 'node:worker_threads';
import { ParquetTableWriter } from './parquet.js';
import type { ColumnData } from './parquet.js';
import type { ParquetThreadReply, ParquetThreadRequest } from './parquet-thread.js';

export function serveTables(prepare: (payload: unknown) => ColumnData[]): void {
  const port = parentPort!;
  const tables = new Map<number, ParquetTableWriter>();
  const reply = (m: ParquetThreadReply) => port.postMessage(m);
  let failed = false;
  port.on('message', (m: ParquetThreadRequest) => {
    if (failed) return;
    try {
      if (m.type === 'open') tables.set(m.id, new ParquetTableWriter(m.path, m.specs, m.meta, m.options));
      else if (m.type === 'write') {
        tables.get(m.id)!.write(prepare(m.payload));
        reply({ type: 'written', rows: m.rows });
      } else {
        tables.get(m.id)!.close();
        tables.delete(m.id);
        reply({ type: 'closed', id: m.id });
      }
    } catch (e) {
      failed = true;
      const err = e as Error;
      reply({ type: 'error', message: err.message, stack: err.stack });
    }
  });
}
