/** The policy format as JSON Schema, generated from the zod schema (committed as policy.schema.json). */
import { z } from 'zod';
import { policyDocumentSchema } from './schema.js';

export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policyDocumentSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return generated;
}

export function policyJsonSchemaText(): string {
  return JSON.stringify(policyJsonSchema(), null, 2) + '\n';
}
