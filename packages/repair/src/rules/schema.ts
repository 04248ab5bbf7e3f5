/** JSON Schema for rule files (JSON or YAML), checked with Ajv; errors name the bad field. */
const timeWindow = {
  type: 'object',
  additionalProperties: false,
  properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } },
} as const;

export const ruleFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rules'],
  properties: {
    rules: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'path', 'action'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
          description: { type: 'string', maxLength: 1000 },
          path: { type: 'string', minLength: 1, maxLength: 4096 },
          lastWrite: timeWindow,
          size: {
            type: 'object',
            additionalProperties: false,
            properties: { min: { type: 'integer', minimum: 0 }, max: { type: 'integer', minimum: 0 } },
          },
          sha256: { type: 'array', maxItems: 100000, items: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
          header: { type: 'string', pattern: '^([0-9a-fA-F]{2}){1,512}$' },
          reportHeader: { type: 'string', pattern: '^([0-9a-fA-F]{2}){1,512}$' },
          classify: {
            type: 'object',
            additionalProperties: false,
            properties: { bad: timeWindow, good: timeWindow },
          },
          action: { enum: ['quarantine', 'delete', 'report'] },
        },
      },
    },
  },
} as const;
