// Writes the dev questions of eval/facts-questions.json twice to stdout, as a questions file for `elex-cli eval`:
// as written (split "orig") and with one typo each (split "typo": in a random word of 6+ lower-case letters, two
// neighbouring letters swapped, one dropped, one doubled or one changed, never the first or last letter; seeded,
// so the same file every run). It measures how routing holds when an engineer mistypes a word:
//   node eval/typos.mjs > build/typos.json
//   build/native/elex-cli eval --catalog ../shared/data/ran-feature-facts.json --questions build/typos.json
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let seed = 2026;
const random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (n) => Math.floor(random() * n);

function typo(word) {
  const i = 1 + pick(word.length - 2);
  switch (pick(4)) {
    case 0:
      return i + 1 < word.length - 1
        ? word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2)
        : word.slice(0, i) + word.slice(i + 1);
    case 1:
      return word.slice(0, i) + word.slice(i + 1);
    case 2:
      return word.slice(0, i) + word[i] + word.slice(i);
    default: {
      const other = 'aeiounrst'.replace(word[i], '');
      return word.slice(0, i) + other[pick(other.length)] + word.slice(i + 1);
    }
  }
}

const questions = [];
for (const q of JSON.parse(readFileSync(resolve(here, 'facts-questions.json'), 'utf8')).questions) {
  if (q.split !== 'dev') continue;
  const words = [...q.q.matchAll(/[a-z]{6,}/g)];
  if (words.length === 0) continue;
  const w = words[pick(words.length)];
  questions.push({ ...q, split: 'orig' });
  questions.push({ ...q, q: q.q.slice(0, w.index) + typo(w[0]) + q.q.slice(w.index + w[0].length), split: 'typo' });
}
process.stdout.write(JSON.stringify({ questions }, null, 1) + '\n');
