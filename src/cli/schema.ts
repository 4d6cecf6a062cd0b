import { Command, Option } from 'commander';
import { SQL_DIALECTS, schemaDdl, type SqlDialect } from '../transform/ddl.js';
import { schemaJson, schemaMarkdown, schemaSql } from '../transform/schema-render.js';

interface SchemaFlags {
  format: 'md' | 'json' | 'sql';
  dialect?: SqlDialect;
  to: string;
}

export function schemaCommand(): Command {
  return new Command('schema')
    .description(
      'Print the output tables and their columns: Markdown, JSON or generic SQL DDL, or with --dialect the ' +
        'external-table DDL (Athena, Trino, DuckDB, BigQuery, Snowflake) that queries an export in place.',
    )
    .addOption(new Option('--format <format>', 'output format (--dialect implies sql)').choices(['md', 'json', 'sql']).default('md'))
    .addOption(new Option('--dialect <dialect>', 'print CREATE EXTERNAL TABLE / VIEW statements for this engine').choices(SQL_DIALECTS))
    .option('--to <dir | s3://bucket/prefix>', 'with --dialect: where the export was written (same as export --to)', './clerk-export')
    .addHelpText('after', '\nExamples:\n  clerk-etl schema --dialect duckdb --to ./clerk-export\n  clerk-etl schema --dialect athena --to s3://my-bucket/clerk')
    .action((flags: SchemaFlags, cmd: Command) => {
      if (flags.dialect && cmd.getOptionValueSource('format') !== 'default' && flags.format !== 'sql') {
        cmd.error(`error: --dialect prints SQL; it cannot be combined with --format ${flags.format}`, { exitCode: 2, code: 'clerk-etl.usage' });
      }
      const text = flags.dialect
        ? schemaDdl(flags.dialect, flags.to)
        : flags.format === 'json'
          ? schemaJson()
          : flags.format === 'sql'
            ? schemaSql()
            : schemaMarkdown();
      process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    });
}
