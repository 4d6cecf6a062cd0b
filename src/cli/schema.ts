import { Command, Option } from 'commander';
import { schemaJson, schemaMarkdown, schemaSql } from '../transform/schema-render.js';

export function schemaCommand(): Command {
  return new Command('schema')
    .description('Print the output tables and their columns (Markdown, JSON, or SQL DDL).')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'json', 'sql']).default('md'))
    .action((flags: { format: 'md' | 'json' | 'sql' }) => {
      const text = flags.format === 'json' ? schemaJson() : flags.format === 'sql' ? schemaSql() : schemaMarkdown();
      process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    });
}
