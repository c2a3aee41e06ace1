/** The ```ts code blocks of a markdown text (README.md), shared by the README and package-install tests. */

/**
 * The ```ts blocks of a markdown text with their line numbers; `no-run` blocks are left out.
 * @param markdown - the text
 * @returns each block's first line number (of its fence) and code
 */
export function typescriptBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const fence = /^```(\S*)\s*(.*)$/.exec(lines[k]!);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > k && l.startsWith('```'));
    if (end < 0) break;
    if ((fence[1] === 'ts' || fence[1] === 'typescript') && !/\bno-run\b/.test(fence[2]!)) {
      blocks.push({ line: k + 1, code: lines.slice(k + 1, end).join('\n') });
    }
    k = end;
  }
  return blocks;
}

/**
 * The first ts block under the README's "Quick start (library)" heading.
 * @param readme - the text of README.md
 * @returns the block's code
 */
export function quickStartBlock(readme: string): string {
  const at = readme.indexOf('\n## Quick start (library)');
  if (at < 0) throw new Error('README.md has no "Quick start (library)" section');
  const block = typescriptBlocks(readme.slice(at))[0];
  if (!block) throw new Error('README.md: the quick start has no ts block');
  return block.code;
}
