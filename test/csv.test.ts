/** The RFC 4180 CSV reader and labelled files: quoting, BOM, CRLF, delimiters, string labels, one-hot. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv, detectDelimiter } from '../src/data/csv.ts';
import { readLabelled } from '../src/data/labelled.ts';

const dir = mkdtempSync(join(tmpdir(), 'tdakit-csv-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('the quoted header of the issue ("income, USD") and quoted fields with delimiters and newlines', async () => {
  const path = file('quoted.csv', 'age,"income, USD","note",label\n30,"1,5",7,1\n41,2.5,"8",0\n');
  // "1,5" is one field, and not a decimal number: an error naming its column.
  await assert.rejects(readCsv(path), /column 'income, USD' holds "1,5", not a finite number.*one-hot/);
  const ok = file(
    'quoted-ok.csv',
    '\uFEFFage,"income, USD","note\nsecond line",label\r\n30,"1500",7,1\r\n41,2.5,"8",0\r\n\r\n',
  );
  const t = await readCsv(ok);
  assert.deepEqual(t.columns, ['age', 'income, USD', 'note\nsecond line', 'label']);
  assert.deepEqual(Array.from(t.data), [30, 1500, 7, 1, 41, 2.5, 8, 0]);
  assert.equal(t.delimiter, ',');
});

test("a file written by Python's csv module (QUOTE_ALL, CRLF, BOM) reads back to the same numbers", async () => {
  const path = join(dir, 'python.csv');
  execFileSync('python3', [
    '-c',
    `
import csv, random
random.seed(5)
with open(${JSON.stringify(path)}, 'w', newline='', encoding='utf-8-sig') as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL, delimiter=';')
    w.writerow(['a "quoted" name', 'b;c', 'd'])
    for i in range(500):
        w.writerow([repr(random.gauss(0, 1e3)), repr(random.random()), str(random.randint(-9, 9))])
`,
  ]);
  const expected = JSON.parse(
    execFileSync(
      'python3',
      [
        '-c',
        `
import csv, json
with open(${JSON.stringify(path)}, newline='', encoding='utf-8-sig') as f:
    rows = list(csv.reader(f, delimiter=';'))
print(json.dumps({'header': rows[0], 'values': [float(v) for r in rows[1:] for v in r]}))
`,
      ],
      { encoding: 'utf8' },
    ),
  );
  const t = await readCsv(path); // delimiter detected
  assert.equal(t.delimiter, ';');
  assert.deepEqual(t.columns, expected.header);
  assert.deepEqual(Array.from(t.data), expected.values);
});

test('delimiter detection and the explicit delimiter option', async () => {
  assert.equal(detectDelimiter('a\tb\tc\n1\t2\t3\n'), '\t');
  assert.equal(detectDelimiter('a|b\n1|2\n'), '|');
  assert.equal(detectDelimiter('"x;y",b\n1,2\n'), ',');
  const path = file('semi.csv', 'x;y\n1,5;2\n');
  // Detected ';' gives the field "1,5" (not a number); an explicit "," gives a ragged record.
  await assert.rejects(readCsv(path), /holds "1,5"/);
  await assert.rejects(readCsv(path, { delimiter: ',' }), /semi\.csv:2: has 2 fields, expected 1/);
});

test('NA in the first data row is missing data, not a header; 0x10 and 0b101 are not numbers', async () => {
  await assert.rejects(readCsv(file('na.csv', '1,NA,3\n4,5,6\n')), /column 'x1' holds "NA".*missing values/);
  await assert.rejects(readCsv(file('hex.csv', 'a,b\n0x10,1\n')), /column 'a' holds "0x10"/);
  await assert.rejects(readCsv(file('bin.csv', 'a,b\n1,0b101\n')), /column 'b' holds "0b101"/);
  // Line numbers count the lines of a quoted multi-line field and blank lines.
  await assert.rejects(
    readCsv(file('lines.csv', 'a,b\n"1\n\n2",3\n\n4,x\n'), { textColumns: ['a'] }),
    /lines\.csv:6: column 'b' holds "x"/,
  );
  const t = await readCsv(file('plain.csv', '1, 2 ,3e2\n-4,.5,+6\n'));
  assert.deepEqual(t.columns, ['x0', 'x1', 'x2']);
  assert.deepEqual(Array.from(t.data), [1, 2, 300, -4, 0.5, 6]);
});

test('string labels: sorted class list, an explicit positive class, and a class list for queries', async () => {
  const path = file('churn.csv', 'tenure,spend,outcome\n1,10,churn\n5,20,stay\n2,15,churn\n9,30,stay\n');
  const multi = await readLabelled(path, { label: 'outcome' });
  assert.deepEqual(multi.classes, ['churn', 'stay']);
  assert.deepEqual(Array.from(multi.y!), [0, 1, 0, 1]);
  const binary = await readLabelled(path, { label: 'outcome', positive: 'churn' });
  assert.deepEqual(binary.classes, ['stay', 'churn']);
  assert.deepEqual(Array.from(binary.y!), [1, 0, 1, 0]);
  assert.deepEqual(Array.from(binary.X.data), [1, 10, 5, 20, 2, 15, 9, 30]);
  await assert.rejects(
    readLabelled(path, { label: 'outcome', positive: 'gone' }),
    /positive class 'gone' does not occur.*churn, stay/,
  );
  const q = file('churn-q.csv', 'tenure,spend,outcome\n3,12,stay\n4,11,left\n');
  await assert.rejects(
    readLabelled(q, { label: 'outcome', classes: binary.classes! }),
    /row 1: label 'left' in column 'outcome' is not one of the classes \(stay, churn\)/,
  );
  // Headerless file with string labels in the last column: still no header.
  const headerless = await readLabelled(file('nohead.csv', '1,2,yes\n3,4,no\n'), { label: -1, positive: 'yes' });
  assert.deepEqual(Array.from(headerless.y!), [1, 0]);
  assert.equal(headerless.X.rows, 2);
});

test('categorical feature columns: an error naming the column, or one-hot on request', async () => {
  const path = file('city.csv', 'city,size,label\nParis,1,0\nOslo,2,1\nParis,3,1\n');
  await assert.rejects(readLabelled(path, { label: 'label' }), /column 'city' holds "Paris".*--one-hot 'city'/);
  const f = await readLabelled(path, { label: 'label', oneHot: ['city'] });
  assert.deepEqual(f.columns, ['city=Oslo', 'city=Paris', 'size']);
  assert.deepEqual(Array.from(f.X.data), [0, 1, 1, 1, 0, 2, 0, 1, 3]);
  assert.deepEqual(Array.from(f.y!), [0, 1, 1]);
});

test('query files without a label column for label-free targets', async () => {
  const q = file('q-nolabel.csv', 'tenure,spend\n3,12\n4,11\n');
  const byName = await readLabelled(q, { label: 'outcome', features: 2 });
  assert.equal(byName.y, undefined);
  assert.deepEqual(Array.from(byName.X.data), [3, 12, 4, 11]);
  const byIndex = await readLabelled(q, { label: -1, features: 2 });
  assert.equal(byIndex.y, undefined);
  assert.equal(byIndex.X.cols, 2);
  const withLabel = await readLabelled(file('q-label.csv', 'tenure,spend,outcome\n3,12,1\n'), {
    label: 'outcome',
    features: 2,
  });
  assert.deepEqual(Array.from(withLabel.y!), [1]);
});
