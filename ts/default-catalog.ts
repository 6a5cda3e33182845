/**
 * elex-wasm/catalog/default: the default RAN catalog, synthetic, generated
 * in the page by a seeded generator the first time it is used (about 11 KB
 * of code on the wire instead of 3.7 MB of JSON). createEngine() imports it
 * only when no catalog is passed, so an app that brings its own catalog, or
 * passes `catalog: false`, never downloads it.
 *
 * @packageDocumentation
 */
export { defaultCatalog } from './host/default-catalog.ts';
