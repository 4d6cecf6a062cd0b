export { loadConfigFile, parseConfigText, formatPath, unknownKeyProblem } from './load.js';
export { flagValue, isExplicit, pick, type OptionSources, type Origin, type Picked } from './merge.js';
export {
  CONFIG_KEYS,
  configFileSchema,
  TOP_LEVEL_KEYS,
  type ConfigFile,
  type ConfigSection,
  type ConfigValues,
} from './schema.js';
export { formatSize, parseSize } from '../settings/values.js';
