import type { Rule } from 'eslint';
export declare const LAYERS: readonly string[];
export declare const layersRule: Rule.RuleModule;
export declare const wardenPlugin: { meta: { name: string }; rules: Record<string, Rule.RuleModule> };
