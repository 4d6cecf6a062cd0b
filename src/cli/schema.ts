import { Command, Option } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { EtlError } from '../errors.js';
import { ddlLocationProblem, SQL_DIALECTS, schemaDdl, type DdlOptions, type SqlDialect } from '../transform/ddl.js';
import { ALL_TABLES, DELETIONS, resourceTableOf, USER_TABLES, type ResourceChoice, type TableSchema } from '../model/schema.js';
import { EXPORT_SETTINGS } from '../settings/declarations.js';
import { addSettingOptions, resolveSettings } from './options.js';
import { expandResources } from '../pipeline/export.js';
import { currentViews, VIEW_KINDS, type ViewKind } from '../transform/current-views.js';
import { schemaJson, schemaMarkdown, schemaSql } from '../transform/schema-render.js';

interface SchemaFlags {
  format: 'md' | 'json' | 'sql';
  dialect?: SqlDialect;
  views?: ViewKind;
  to: string;
}

export function schemaCommand(): Command {
  const command = new Command('schema')
    .description(
      'Print the output tables and their columns: Markdown, JSON or generic SQL DDL, or with --dialect the ' +
        'external-table DDL (Athena, Trino, DuckDB, BigQuery, Snowflake) that queries an export in place.',
    )
    .addOption(new Option('--format <format>', 'output format (--dialect implies sql)').choices(['md', 'json', 'sql']).default('md'))
    .addOption(new Option('--dialect <dialect>', 'print CREATE EXTERNAL TABLE / VIEW statements for this engine').choices(SQL_DIALECTS))
    .addOption(new Option('--views <kind>', 'with --dialect: also print views after the tables; current: <table>_current, the newest version of each id without the deleted ones').choices(VIEW_KINDS))
    .option('--to <dir | s3://bucket/prefix>', 'with --dialect: where the export was written (same as export --to; BigQuery: gs://). A local folder gets DDL only for the tables that have Parquet files', './clerk-export')
    .addHelpText('after', '\nExamples:\n  clerk-etl schema --dialect duckdb --to ./clerk-export\n  clerk-etl schema --dialect duckdb --to ./clerk-export --views current\n  clerk-etl schema --dialect athena --to s3://my-bucket/clerk --resources all');
  // An s3:// or gs:// location cannot be listed: --resources says which tables the export has.
  return addSettingOptions(command, { resources: EXPORT_SETTINGS.resources }, ['Source:'])
    .action((flags: SchemaFlags, cmd: Command) => {
      const resolved = resolveSettings({ resources: EXPORT_SETTINGS.resources }, cmd, undefined);
      if (flags.dialect && cmd.getOptionValueSource('format') !== 'default' && flags.format !== 'sql') {
        cmd.error(`error: --dialect prints SQL; it cannot be combined with --format ${flags.format}`, { exitCode: 2, code: 'clerk-etl.usage' });
      }
      if (flags.views && !flags.dialect) {
        cmd.error(`error: --views ${flags.views} prints views over the --dialect DDL; it needs --dialect`, { exitCode: 2, code: 'clerk-etl.usage' });
      }
      // A location the dialect cannot read is named before the files are looked for.
      const problem = flags.dialect && ddlLocationProblem(flags.dialect, flags.to);
      if (problem) throw new EtlError('USAGE', problem);
      const text = flags.dialect
        ? ddlWithViews(flags.dialect, flags.to, tablesWithFiles(flags.to, resolved.resources), flags.views)
        : flags.format === 'json'
          ? schemaJson()
          : flags.format === 'sql'
            ? schemaSql()
            : schemaMarkdown();
      process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    });
}

/** The DDL, then (with --views current) the views over the tables it has. */
function ddlWithViews(dialect: SqlDialect, to: string, options: DdlOptions, views: ViewKind | undefined): string {
  const ddl = schemaDdl(dialect, to, options);
  return views === 'current' ? `${ddl}\n${currentViews(dialect, options.tables)}` : ddl;
}

/** The tables of an export of these resources (`--resources`), for a location that cannot be listed. */
function tablesOf(resources: ReadonlyArray<ResourceChoice>): TableSchema[] {
  const { users, others } = expandResources(resources);
  const tables = [...(users ? USER_TABLES : []), ...others.map(resourceTableOf)];
  return others.length ? [...tables, DELETIONS] : tables;
}

/**
 * A local export: only the tables that have Parquet files under `<to>/<table>/dt=…/` (a view over a
 * folder without any fails in DuckDB: "No files found"), and none at all is an error. A remote
 * location (s3://, gs://) cannot be listed without its credentials: every table.
 */
function tablesWithFiles(to: string, resources: ReadonlyArray<ResourceChoice>): DdlOptions {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to)) return { tables: tablesOf(resources) };
  const hasParquet = (table: string): boolean => {
    const dir = path.join(to, table);
    if (!existsSync(dir)) return false;
    return readdirSync(dir, { withFileTypes: true }).some((d) => d.isDirectory() && d.name.startsWith('dt=') && readdirSync(path.join(dir, d.name)).some((f) => f.endsWith('.parquet')));
  };
  const tables = ALL_TABLES.filter((t) => hasParquet(t.name));
  if (tables.length === 0) {
    throw new EtlError('USAGE', `No Parquet files under ${to}/<table>/dt=…/: the DDL reads an export's Parquet files. Run an export with --format parquet to ${to} first, or pass the --to it wrote to.`);
  }
  // The tables of the resources besides users are named only when the export read some of them.
  const expected = tables.some((t) => !USER_TABLES.includes(t)) ? ALL_TABLES : USER_TABLES;
  const leftOut = expected.filter((t) => !tables.includes(t)).map((t) => t.name);
  if (leftOut.length) process.stderr.write(`clerk-etl schema: left out, no Parquet files under ${to}: ${leftOut.join(', ')}\n`);
  return { tables, leftOut };
}
