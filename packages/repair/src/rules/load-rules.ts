import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { CorruptError, ioErrorFrom } from '@coldfix/io';
import type { Rule } from './rule.js';
import { ruleFileSchema } from './schema.js';

// Ajv and yaml are loaded and the schema compiled on first use, not at import: loading both and
// generating the validator cost every command (the CLI imports this package) ~0.1–1 s of start-up
// (node --cpu-prof; see bench/src/repair-bench.ts), with or without --rules.
const requireLazily = createRequire(import.meta.url);
let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const { Ajv } = requireLazily('ajv') as typeof import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', { validate: (text: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) && !Number.isNaN(Date.parse(text)) });
  compiled = ajv.compile(ruleFileSchema);
  return compiled;
}

/** Parses and validates a rule file (JSON or YAML). Throws CorruptError naming the bad field. */
export function parseRules(text: string, source = 'rules'): Rule[] {
  let document: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    document = (requireLazily('yaml') as typeof import('yaml')).parse(text);
  } catch (error) {
    throw new CorruptError(`${source}: not valid JSON or YAML: ${(error as Error).message}`, { code: 'RULES_PARSE', layer: 'repair', details: { source } });
  }
  const validate = validator();
  if (!validate(document)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
    throw new CorruptError(`${source}: invalid rule file: ${problems.join('; ')}`, {
      code: 'RULES_INVALID',
      layer: 'repair',
      details: { source, problems },
    });
  }
  const rules = (document as { rules: Rule[] }).rules;
  for (const rule of rules) {
    for (const key of ['lastWrite'] as const) {
      const window = rule[key];
      if (window?.from && window.to && Date.parse(window.from) >= Date.parse(window.to)) {
        throw new CorruptError(`${source}: rule ${rule.id}: ${key}.from must be before ${key}.to`, { code: 'RULES_INVALID', layer: 'repair', details: { source, rule: rule.id } });
      }
    }
  }
  return rules;
}

export async function loadRules(path: string): Promise<Rule[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw ioErrorFrom(error, path, 'read the rule file');
  }
  return parseRules(text, path);
}
