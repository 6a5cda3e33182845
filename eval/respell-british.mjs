// Writes the questions of eval/facts-questions.json and eval/facts-paraphrases.json that have a word with a
// British spelling, respelled British (optimization → optimisation, license → licence, ...), to stdout as a
// questions file for `elex-cli eval`. It measures how routing holds when an engineer writes British English:
//   node eval/respell-british.mjs > build/british.json
//   build/native/elex-cli eval --catalog ../shared/data/ran-feature-facts.json --questions build/british.json
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ROOTS =
  'author capital categor central character custom digit emphas equal final harmon initial local maxim memor minim modern normal optim organ parameter priorit quant random real recogn serial special stabil standard summar symbol synchron util virtual visual neutral tokeni penal sanit'.split(
    ' ',
  );
const WORDS = {
  neighbor: 'neighbour',
  behavior: 'behaviour',
  license: 'licence',
  center: 'centre',
  signaling: 'signalling',
  analyze: 'analyse',
  fiber: 'fibre',
  meter: 'metre',
  labeled: 'labelled',
  modeling: 'modelling',
  canceled: 'cancelled',
  tunneling: 'tunnelling',
};
const IZE = /^(ize|ized|izes|izing|izer|izers|ization|izations)$/;

function british(word) {
  const low = word.toLowerCase();
  let out = null;
  for (const [us, gb] of Object.entries(WORDS)) if (low.startsWith(us)) out = gb + low.slice(us.length);
  for (const root of ROOTS)
    if (out === null && low.startsWith(root) && IZE.test(low.slice(root.length)))
      out = root + low.slice(root.length).replace('iz', 'is');
  if (out === null) return word;
  return word[0] === word[0].toUpperCase() ? out[0].toUpperCase() + out.slice(1) : out;
}

const questions = [];
for (const file of ['facts-questions.json', 'facts-paraphrases.json'])
  for (const q of JSON.parse(readFileSync(resolve(here, file), 'utf8')).questions) {
    const text = q.q.replace(/[A-Za-z]+/g, british);
    if (text !== q.q) questions.push({ ...q, q: text, split: 'british' });
  }
process.stdout.write(JSON.stringify({ questions }, null, 1) + '\n');
