import { isLosslessNumber, isSafeNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/**
 * Numbers JSON.parse would change, kept as their text.
 *
 * JSON.parse turns every number into a double: `12345678901234567890` becomes 12345678901234567000,
 * `-9007199254740993` becomes -9007199254740992, `1e400` becomes Infinity (written as null). Node 20's
 * JSON.parse cannot hand out a number's source text, so a record whose text holds such a number is
 * parsed a second time with lossless-json, which keeps each of those numbers as its text (a
 * LosslessNumber) and writes that text back. Every other number stays a plain number. The common
 * case pays one regular-expression scan per page or record (mayLoseNumbers, in clerk/json-elements.ts).
 */

/** A number whose value a double keeps stays a number; any other keeps its text. */
function parseNumber(text: string): number | LosslessNumber {
  return isSafeNumber(text) ? Number(text) : new LosslessNumber(text);
}

/**
 * Parse like JSON.parse (a repeated key: the last one wins; `__proto__` is an own key), keeping the
 * text of numbers a double cannot hold. Throws SyntaxError on invalid JSON.
 */
export function parseExact(text: string): unknown {
  return parse(text, null, { parseNumber, onDuplicateKey: ({ newValue }) => newValue });
}

/** JSON text of a value from parseExact: kept numbers are written as their original text. */
export function stringifyExact(value: unknown): string | undefined {
  return stringify(value);
}

/** A kept number (in a typed column) as the nearest double, like JSON.parse would have read it. */
export function plainNumber(v: unknown): unknown {
  return isLosslessNumber(v) ? Number((v as LosslessNumber).value) : v;
}
