/** The format-version check of resumable run directories (RIF protocol records, Daunce checkpoints). */

/**
 * Refuses to resume a directory whose config.json was written in another format version: its random
 * draws differ from this version's, so mixing them would silently corrupt the run. A config without a
 * `format` field is format 1; an unreadable one passes here and is reported by the caller as another run.
 * @param previousConfig - the text of the config.json found in the directory
 * @param current - the format this version writes
 * @param message - the error message, given the format found
 */
export function refuseOtherFormat(previousConfig: string, current: number, message: (found: string) => string): void {
  let format: unknown;
  try {
    format = (JSON.parse(previousConfig) as { format?: unknown }).format ?? 1;
  } catch {
    return;
  }
  if (format !== current) throw new RangeError(message(String(format)));
}
