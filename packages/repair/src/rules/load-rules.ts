import { readFile } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { CorruptError, ioErrorFrom } from '@coldfix/io';
import type { Rule } from './rule.js';
import { ruleFileSchema } from './schema.js';

// Compiled on first use, not at import: Ajv's code generation costs ~0.1–0.8 s of start-up (measured
// with --cpu-prof in bench/src/repair-bench.ts), paid by every repair even without --rules.
let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (compiled) return compiled;
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
    document = parseYaml(text);
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
