/**
 * Layer rules, checked by `npm run depcheck` (part of `npm test`). Data flows one way:
 * cli -> run-export (the pipeline) -> extract / transform / load -> clerk and the model; the
 * emulator is a tool beside them, reached from the CLI only.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import cycle ties modules that should stand apart.', from: {}, to: { circular: true } },
    {
      name: 'extract-transform-stay-below',
      severity: 'error',
      comment: 'extract and transform import nothing from load, the pipeline, the workers, the state or the CLI.',
      from: { path: '^src/(extract|transform)/' },
      to: { path: '^src/(load|cli|parallel|state|pipeline)/|^src/run-export\\.ts$' },
    },
    {
      name: 'load-stays-below',
      severity: 'error',
      comment: 'load imports nothing from the pipeline, the workers or the CLI.',
      from: { path: '^src/load/' },
      to: { path: '^src/(cli|parallel|pipeline)/|^src/run-export\\.ts$' },
    },
    {
      name: 'clerk-is-the-bottom',
      severity: 'error',
      comment: 'The Clerk client and its types import none of the stages above them.',
      from: { path: '^src/clerk/' },
      to: { path: '^src/(extract|transform|load|cli|parallel|state|pipeline|emulator|config)/|^src/run-export\\.ts$' },
    },
    {
      name: 'stages-without-emulator',
      severity: 'error',
      comment: 'Nothing of the export or import path imports the emulator.',
      from: { path: '^src/(extract|transform|load|clerk|parallel|state|pipeline)/|^src/run-export\\.ts$' },
      to: { path: '^src/emulator/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
