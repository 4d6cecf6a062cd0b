import { isSafeNumber } from 'lossless-json';

/**
 * The text of each element of a JSON array, exactly as it stands in `text` (a page of users as Clerk
 * sent it), so that `raw` can keep Clerk's bytes rather than a re-serialisation. `text` must be
 * valid JSON (JSON.parse accepted it) whose top level is an array; returns undefined otherwise.
 *
 * An element spanning several lines (a pretty-printed body) gets the whitespace outside its
 * strings removed, so it fits one NDJSON line; strings are never touched (JSON strings cannot hold
 * a raw newline). A compact body — Clerk's — is kept byte for byte.
 */
export function jsonArrayElements(text: string): string[] | undefined {
  const n = text.length;
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x5b /* [ */) return undefined;
  i = skipSpace(text, i + 1);
  const out: string[] = [];
  if (text.charCodeAt(i) === 0x5d /* ] */) return out;
  while (i < n) {
    const start = i;
    let depth = 0;
    let multiline = false;
    // Scan one element: strings are skipped with indexOf (their content is most of a user's bytes).
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22 /* " */) {
        i = stringEnd(text, i);
        if (i < 0) return undefined;
      } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) depth++;
      else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c /* , */ && depth === 0) break;
      else if ((c === 0x0a || c === 0x0d) && depth > 0) multiline = true; // not the newline after it
    }
    if (i >= n) return undefined;
    let end = i;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    const element = text.slice(start, end);
    out.push(multiline ? compact(element) : element);
    if (text.charCodeAt(i) === 0x5d) return skipSpace(text, i + 1) === n ? out : undefined;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index of the quote closing the string opened at `open`, or -1. */
function stringEnd(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q < 0) return -1;
    // Escaped when preceded by an odd number of backslashes.
    let b = q - 1;
    while (text.charCodeAt(b) === 0x5c /* \ */) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
}

/** The JSON text without whitespace outside its strings. */
function compact(json: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(json, i);
    } else if (isSpace(c)) {
      out += json.slice(from, i);
      from = i + 1;
    }
  }
  return out + json.slice(from);
}

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
