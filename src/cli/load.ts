import { Command } from 'commander';
import { EtlError } from '../errors.js';
import { executeLoad } from '../pipeline/load.js';
import { LOAD_SETTINGS } from '../settings/declarations.js';
import { abortOnSignals, HELP_WITH_DEFAULTS, loggerFromFlags } from './common.js';
import { addSettingOptions, resolveSettings } from './options.js';

export function loadCommand(): Command {
  const command = new Command('load')
    .description('Apply the runs of an export folder (written with --format csv) to a PostgreSQL mirror, in order, skipping runs it already has.')
    .configureHelp(HELP_WITH_DEFAULTS);
  command.optionsGroup('General:').helpOption('-h, --help', 'show this help');
  addSettingOptions(command, LOAD_SETTINGS, ['General:', 'Source:', 'Destination:']);
  return command.action(async (_flags: unknown, cmd: Command) => {
    const { from, to, onDelete, logFormat, logLevel, s3Endpoint, s3Region, s3PathStyle, s3Checksums } = resolveSettings(LOAD_SETTINGS, cmd, undefined);
    if (!from || !to) throw new EtlError('USAGE', 'load needs --from <export folder> and --to <postgres://…>.');
    const log = loggerFromFlags({ logFormat, logLevel });
    const signals = abortOnSignals(log, { stopping: 'the run being applied is rolled back', outcome: 'the load stopped' });
    try {
      const out = await executeLoad({ from, to, onDelete, s3: { endpoint: s3Endpoint, region: s3Region, forcePathStyle: s3PathStyle, checksums: s3Checksums } }, log, signals.signal);
      process.stdout.write(`Load finished: ${out.applied.length} run(s) applied${out.applied.length ? ` (${out.applied.map((a) => a.run_id).join(', ')})` : ''}, ${out.skipped.length} already in the database.\n`);
    } finally {
      signals.dispose();
    }
  });
}
