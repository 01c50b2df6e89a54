import { createSqlTag } from 'slonik';
import { z } from 'zod';

/**
 * The one sql tag: slonik's, with the type aliases every module shares.
 * `sql.type(schema)` for a query whose rows are read (checked against the
 * schema when they arrive, see rowsCheckedBySchema), `sql.typeAlias('void')`
 * for a statement whose rows, if any, are not, and `sql.unsafe` only where a
 * query is truly dynamic, with a comment saying why.
 */
export const sql = createSqlTag({ typeAliases: { void: z.object({}) } });
