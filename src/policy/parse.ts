/** Policy text (JSON or YAML, detected) → compiled policy, or every problem found. */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { err, type Result } from '../core/index.js';
import type { CompiledPolicy } from './compiled.js';
import { compilePolicy } from './compile.js';
import type { PolicyProblem } from './types.js';

/** JSON when the name says so or the text starts with `{`; YAML otherwise (YAML also reads JSON). */
function looksLikeJson(text: string, sourceName: string | undefined): boolean {
  if (sourceName?.toLowerCase().endsWith('.json')) return true;
  if (sourceName && /\.ya?ml$/i.test(sourceName)) return false;
  return text.trimStart().startsWith('{');
}

export function parsePolicyDocument(text: string, sourceName?: string): Result<unknown, PolicyProblem[]> {
  if (text.trim() === '') return err([{ path: '', message: 'the policy is empty' }]);
  if (looksLikeJson(text, sourceName)) {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (e) {
      return err([{ path: '', message: `not valid JSON: ${(e as Error).message}` }]);
    }
  }
  try {
    return { ok: true, value: parseYaml(text, { uniqueKeys: true, prettyErrors: true }) as unknown };
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
      return err([{ path: '', message: `not valid YAML: ${where}${e.message.split('\n')[0] ?? ''}` }]);
    }
    return err([{ path: '', message: `not valid YAML: ${(e as Error).message}` }]);
  }
}

export function parsePolicyText(text: string, sourceName?: string): Result<CompiledPolicy, PolicyProblem[]> {
  const doc = parsePolicyDocument(text, sourceName);
  if (!doc.ok) return doc;
  if (doc.value === null || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    return err([{ path: '', message: 'the policy must be an object with "version" and "default"' }]);
  }
  return compilePolicy(doc.value);
}
