/**
 * The README's flag tables, rendered from the declarations. Each table sits between
 * `<!-- flags:<table>:start -->` and `<!-- flags:<table>:end -->`; `npm run docs:flags` rewrites them
 * and a test fails when the README is stale.
 */
import type { AnySetting } from './declare.js';
import { EXPORT_SETTINGS, IMPORT_SETTINGS, LOAD_SETTINGS } from './declarations.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function row(setting: AnySetting): string {
  const flags = [setting.flag!, ...(setting.negate ? [`--no-${setting.flag!.split(' ')[0]!.slice(2)}`] : [])];
  const shown = setting.defaultText ?? (setting.default === undefined ? undefined : setting.kind.show(setting.default));
  const def = shown === undefined || setting.defaultText === 'none' ? '' : `\`${shown}\``;
  const config = setting.config ? `\`${setting.config.section}.${setting.config.key}\`` : '';
  return `| ${flags.map((f) => `\`${cell(f)}\``).join(', ')} | ${cell(def)} | ${config} | ${cell(setting.readme?.doc ?? setting.help ?? '')} |`;
}

/** The markdown table of one README table name (`export`, `scheduling`, `s3`, `governance`, `import`). */
export function flagTable(table: string): string {
  // A declaration shared by two commands (load reuses export's --on-delete) is listed once.
  const settings = [...new Set([...Object.values<AnySetting>(EXPORT_SETTINGS), ...Object.values<AnySetting>(IMPORT_SETTINGS), ...Object.values<AnySetting>(LOAD_SETTINGS)])].filter((s) => s.flag && s.readme?.table === table);
  return ['| flag | default | config file | meaning |', '|---|---|---|---|', ...settings.map(row)].join('\n');
}

/** `readme` with every marked flag table replaced by its rendering. */
export function renderFlagTables(readme: string): string {
  return readme.replace(/(<!-- flags:([a-z0-9-]+):start -->\n)[\s\S]*?(\n<!-- flags:\2:end -->)/g, (_m, start: string, table: string, end: string) => `${start}${flagTable(table)}${end}`);
}
