// The BM25 peer the routing evals run beside ELEX: MiniSearch 7.2 with its
// default options over one document per feature (code, name, acronym,
// category, description, parameter / counter / KPI identifiers). With
// `split`, each identifier is also indexed as words (camelCase and dots
// split): what a user of a full-text library would add first.
import MiniSearch from 'minisearch';

/** `EUtranCellFDD.pmMacVolDl` → `E Utran Cell FDD pm Mac Vol Dl`. */
export const identifierWords = (s) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[._]/g, ' ');

/** A search function over `catalog`: question → codes of the best 5 features. */
export function bm25Peer(catalog, split = false) {
  const index = new MiniSearch({
    fields: ['code', 'name', 'acronym', 'category', 'description', 'items'],
    storeFields: ['code'],
  });
  index.addAll(
    catalog.features.map((f, id) => ({
      id,
      code: f.code,
      name: f.name ?? '',
      acronym: f.acronym ?? '',
      category: f.category ?? '',
      description: f.description ?? '',
      items: [...(f.parameters ?? []), ...(f.counters ?? []), ...(f.kpis ?? [])]
        .map((x) => (split ? `${x} ${identifierWords(x)}` : x))
        .join(' '),
    })),
  );
  return (q) =>
    index
      .search(q)
      .slice(0, 5)
      .map((r) => r.code);
}
