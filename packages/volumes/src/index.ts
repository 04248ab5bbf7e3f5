export * from './types.js';
export * from './open-image.js';
export * from './identify.js';
