/** Read access to the files of a branch tip: the one a commit is built on, or a dry run reads. */
export interface BranchFiles {
  has(path: string): boolean
  /** Every file path of the tip. */
  paths(): Iterable<string>
  /** The size of a file in bytes. */
  size(path: string): number | undefined
  /** A file's bytes (for the small state files). */
  read(path: string): Promise<Buffer | undefined>
  /** Many small files' bytes, by path, in few requests; paths not on the tip are left out. */
  readMany(paths: readonly string[]): Promise<Map<string, Buffer>>
  /** A file's bytes in chunks, downloaded as they are read (for day files of any size). */
  stream(path: string): AsyncIterable<Buffer>
}

/**
 * A file written to disk for the commit, with its size. Its git blob sha is learnt when it is
 * uploaded: hashing it beforehand would read it once more, for a comparison the caller
 * already made (a day part is staged only when its content changed).
 */
export interface StagedFile {
  file: string
  size: number
}

/** What a path should hold: bytes (or text, UTF-8), or a file on disk. */
export type FileContent = Buffer | string | StagedFile

/** What to write: file contents by path (null deletes the file), and the commit message. */
export interface FileChanges {
  files: Map<string, FileContent | null>
  message: string
  /**
   * Paths that only ride along: a change to them alone makes no commit (a generated README
   * that shows today's date, say).
   */
  alongside?: ReadonlySet<string>
}
