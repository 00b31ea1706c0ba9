/**
 * One error type per family. Messages name the file, what was expected, what was found and what to do,
 * because they are shown to readers verbatim.
 */
export class LensFormatError extends Error {
  override name = 'LensFormatError';
}

export class ModelMismatchError extends Error {
  override name = 'ModelMismatchError';
}

export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A prompt the model cannot read: empty, or longer than its context. */
export class PromptError extends Error {
  override name = 'PromptError';
}
