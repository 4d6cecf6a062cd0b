import { isLosslessNumber, isSafeNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/**
 * Numbers JSON.parse would change, kept as their text.
 *
 * JSON.parse turns every number into a double: `12345678901234567890` becomes 12345678901234567000,
 * `-9007199254740993` becomes -9007199254740992, `1e400` becomes Infinity (written as null). Node 20's
 * JSON.parse cannot hand out a number's source text, so a record whose text holds such a number is
 * parsed a second time with lossless-json, which keeps each of those numbers as its text (a
 * LosslessNumber) and writes that text back. Every other number stays a plain number. The common
 * case pays one regular-expression scan per record (mayLoseNumbers).
 */

/**
 * A number token that may not survive JSON.parse: 16 or more digits (a double keeps 15 significant
 * digits for sure), or an exponent. A number token follows `:`, `,` or `[` (and maybe whitespace).
 */
const CANDIDATE = /[:,[][ \t\r\n]*(-?[0-9](?:[0-9.]{15}|[0-9]*(?:\.[0-9]+)?[eE]))/g;
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Whether a JSON text may hold a number JSON.parse does not keep exactly. One regular-expression
 * scan; each candidate (rare) is then checked, so a safe 16-digit number such as 2^53 − 1 does not
 * send its record to the slower exact parse. The same characters inside a string only cost that parse.
 */
export function mayLoseNumbers(text: string): boolean {
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    NUMBER.lastIndex = m.index + m[0].length - m[1]!.length;
    const token = NUMBER.exec(text)?.[0];
    if (token === undefined || !isSafeNumber(token)) return true;
  }
  return false;
}

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
