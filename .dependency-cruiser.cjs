/**
 * Layer rules, checked by `npm run depcheck` (part of `npm test`). Data flows one way:
 * cli -> pipeline -> extract / transform / load -> state, clerk -> model. The emulator is a tool
 * beside them, reached from the CLI only; config (settings and the config file) is read by the CLI.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import cycle ties modules that should stand apart.', from: {}, to: { circular: true } },
    {
      name: 'pipeline-below-cli',
      severity: 'error',
      comment: 'The pipeline owns a run; it imports nothing from the CLI or the config file reader.',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(cli|config)/' },
    },
    {
      name: 'extract-transform-stay-below',
      severity: 'error',
      comment: 'extract and transform import nothing from load, the pipeline, the state or the CLI.',
      from: { path: '^src/(extract|transform)/' },
      to: { path: '^src/(load|cli|state|pipeline|config)/' },
    },
    {
      name: 'load-stays-below',
      severity: 'error',
      comment: 'load imports nothing from the pipeline or the CLI.',
      from: { path: '^src/load/' },
      to: { path: '^src/(cli|pipeline|config)/' },
    },
    {
      name: 'state-stays-below',
      severity: 'error',
      comment: 'The state store imports nothing from the stages, the pipeline or the CLI.',
      from: { path: '^src/state/' },
      to: { path: '^src/(extract|transform|cli|pipeline|config)/' },
    },
    {
      name: 'state-not-load',
      severity: 'error',
      comment: 'State is not a destination: the state store, the lock and the journals use state/object-store.ts, never load/.',
      from: { path: '^src/state/' },
      to: { path: '^src/load/' },
    },
    {
      name: 'clerk-is-the-bottom',
      severity: 'error',
      comment: 'The Clerk client imports none of the stages above it; only the model.',
      from: { path: '^src/clerk/' },
      to: { path: '^src/(extract|transform|load|cli|state|pipeline|emulator|config)/' },
    },
    {
      name: 'model-is-the-floor',
      severity: 'error',
      comment: 'The model (tables, records, Clerk types) imports nothing but itself and the shared utilities.',
      from: { path: '^src/model/' },
      to: { path: '^src/(extract|transform|load|cli|state|pipeline|emulator|config|clerk)/' },
    },
    {
      name: 'settings-below-cli-and-config',
      severity: 'error',
      comment: 'The settings declarations are read by the CLI and the config file; they import neither, nor the pipeline.',
      from: { path: '^src/settings/' },
      to: { path: '^src/(cli|config|pipeline|emulator)/' },
    },
    {
      name: 'nothing-below-reads-settings',
      severity: 'error',
      comment: 'The pipeline and the stages receive plain typed settings objects, never the declarations.',
      from: { path: '^src/(pipeline|extract|transform|load|state|clerk|model)/' },
      to: { path: '^src/settings/' },
    },
    {
      name: 'stages-without-emulator',
      severity: 'error',
      comment: 'Nothing of the export or import path imports the emulator.',
      from: { path: '^src/(extract|transform|load|clerk|state|pipeline|model)/' },
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
