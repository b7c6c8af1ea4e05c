import { err, ok, type Result } from '../core/index.js';

/**
 * The oldest ClickHouse release Warden's schema is written for. The migrations need
 * Map and Bool columns, DateTime64(9), bloom-filter indexes over mapKeys/mapValues and
 * `{name:Type}` query parameters; 23.8 is the oldest long-term-support release that has
 * all of them without experimental settings.
 */
export const MIN_SERVER_VERSION = { major: 23, minor: 8 } as const;
export const MIN_SERVER_VERSION_TEXT = `${MIN_SERVER_VERSION.major}.${MIN_SERVER_VERSION.minor}`;

export interface ServerVersion {
  major: number;
  minor: number;
  text: string;
}

/** "24.3.2.23" → {major: 24, minor: 3}; undefined for text that is not a version. */
export function parseServerVersion(text: string): ServerVersion | undefined {
  const match = /^\s*(\d+)\.(\d+)(?:[.\d]*)/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), text: text.trim() };
}

/** ok when `version` can run Warden's schema; otherwise the sentence to show the user. */
export function checkServerVersion(versionText: string, where: string): Result<ServerVersion, string> {
  const version = parseServerVersion(versionText);
  if (!version) return err(`ClickHouse server at ${where} reported an unrecognised version "${versionText}"`);
  const { major, minor } = MIN_SERVER_VERSION;
  if (version.major < major || (version.major === major && version.minor < minor)) {
    return err(
      `ClickHouse server at ${where} runs version ${version.text}, which is too old for Warden's schema: ` +
        `ClickHouse ${MIN_SERVER_VERSION_TEXT} or newer is needed (Map, Bool and DateTime64(9) columns)`,
    );
  }
  return ok(version);
}
