import { z } from 'zod';
import { addressSchema } from '../../../shared/conversation';

/**
 * JSON kept in SQLite columns is read back through its schema, like any other input from outside
 * the process: a row written by an older version, or damaged, fails here with the column's name
 * instead of travelling on as a wrong type.
 */
export function readJsonColumn<S extends z.ZodType>(schema: S, text: string, column: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`The stored ${column} is not valid JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`The stored ${column} is not in the expected form: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export const addressListSchema = z.array(addressSchema);
export const messageIdListSchema = z.array(z.string());

/** An address list column; `null` (never read, see migration 5) reads as none. */
export function readAddresses(text: string | null, column: string): z.infer<typeof addressListSchema> {
  return text === null ? [] : readJsonColumn(addressListSchema, text, column);
}
