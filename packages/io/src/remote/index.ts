export * from './mask-url.js';
export * from './http-range-source.js';
export * from './open-remote.js';
