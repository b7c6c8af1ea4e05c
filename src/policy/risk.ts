import type { RiskClass, ToolAnnotations } from './types.js';

/**
 * Risk from MCP tool annotations. The MCP spec gives destructiveHint meaning only when
 * readOnlyHint is false, so a tool claiming both is read. No hints means write: the spec's
 * defaults (readOnlyHint false) make no read promise. The policy's `risk` overrides this.
 */
export function classifyRisk(annotations?: ToolAnnotations): RiskClass {
  if (annotations?.destructiveHint === true && annotations.readOnlyHint !== true) return 'destructive';
  if (annotations?.readOnlyHint === true) return 'read';
  return 'write';
}
