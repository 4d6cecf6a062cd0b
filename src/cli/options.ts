/**
 * Commander options and the resolution of settings, both derived from the declarations in
 * src/settings/: a declaration is all a setting needs to appear in help and reach the pipeline.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { flagValue, pick } from '../config/merge.js';
import type { ConfigFile } from '../config/schema.js';
import { SettingValueError, type AnySetting, type Resolved } from '../settings/declare.js';
import { documentDefault } from './common.js';

/** The camelCase key commander stores a flag under (`--s3-orphan-grace` → `s3OrphanGrace`, `--no-progress` → `progress`). */
function attributeOf(setting: AnySetting): string {
  return new Option(setting.flag!).attributeName();
}

/** The default as help says it. */
function defaultText(setting: AnySetting): string | undefined {
  return setting.defaultText ?? (setting.default === undefined ? undefined : setting.kind.show(setting.default));
}

/**
 * Add an option (and its `--no-` form) per declared setting with a flag, group by group in the order
 * of `groups` (commander shows a group where its first option was added), in declaration order within one.
 */
export function addSettingOptions(command: Command, settings: Record<string, AnySetting>, groups: readonly string[]): Command {
  const rank = (s: AnySetting): number => groups.indexOf(s.group ?? groups[0]!);
  for (const setting of Object.values(settings).sort((a, b) => rank(a) - rank(b))) {
    if (!setting.flag) continue;
    const option = new Option(setting.flag, setting.help);
    if (setting.group) option.helpGroup(setting.group);
    if (setting.kind.choices) option.choices(setting.kind.choices);
    const parse = setting.kind.parseFlag;
    if (parse && !setting.kind.choices) {
      option.argParser((text: string, previous: unknown) => {
        try {
          return parse(text, option.long!, previous);
        } catch (err) {
          throw err instanceof SettingValueError ? new InvalidArgumentError(err.message) : err;
        }
      });
    }
    const shown = defaultText(setting);
    command.addOption(shown === undefined ? option : documentDefault(option, shown));
    if (setting.negate) {
      const negate = new Option(`--no-${option.long!.slice(2)}`, setting.negate);
      if (setting.group) negate.helpGroup(setting.group);
      command.addOption(negate);
    }
  }
  return command;
}

/** A value of the config file by its section (`export.s3`) and key. */
function configValue(cfg: ConfigFile | undefined, section: string, key: string): unknown {
  let node: unknown = cfg;
  for (const part of [...section.split('.'), key]) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

/**
 * Every setting: a flag the user typed, else the config file's key, else its environment variable,
 * else its default (flags > config file > environment > defaults, config/merge.ts).
 */
export function resolveSettings<D extends Record<string, AnySetting>>(settings: D, cmd: Command, cfg: ConfigFile | undefined): Resolved<D> {
  const out: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(settings)) {
    let fromFlag = setting.flag ? flagValue<unknown>(cmd, attributeOf(setting)) : undefined;
    // A switch's value is commander's own; an on/off choice is parsed here (commander checked it).
    if (typeof fromFlag === 'string' && setting.kind.choices && setting.kind.parseFlag) fromFlag = setting.kind.parseFlag(fromFlag, setting.flag!, undefined);
    const raw = setting.config ? configValue(cfg, setting.config.section, setting.config.key) : undefined;
    const fromConfig = raw === undefined ? undefined : setting.kind.fromConfig(raw);
    const fromEnv = setting.env ? process.env[setting.env] || undefined : undefined;
    out[name] = pick(fromFlag, fromConfig, fromEnv, setting.default).value;
  }
  return out as Resolved<D>;
}
