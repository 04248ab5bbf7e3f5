import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { CorruptError, ioErrorFrom } from '@coldfix/io';
import type { Rule } from './rule.js';
import { ruleFileSchema } from './schema.js';

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', { validate: (text: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) && !Number.isNaN(Date.parse(text)) });
const validate = ajv.compile(ruleFileSchema);

/** Parses and validates a rule file (JSON or YAML). Throws CorruptError naming the bad field. */
export function parseRules(text: string, source = 'rules'): Rule[] {
  let document: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    document = parseYaml(text);
  } catch (error) {
    throw new CorruptError(`${source}: not valid JSON or YAML: ${(error as Error).message}`, { code: 'RULES_PARSE', layer: 'repair', details: { source } });
  }
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
