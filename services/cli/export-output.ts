import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { type FileHandle, open, stat, truncate } from 'node:fs/promises';

/** Where a partial export in a file leaves off. */
export interface ExportResumption {
  /** The file's bytes worth keeping: up to and including the last complete event line. */
  readonly keepBytes: number;
  /** That line's cursor: the export goes on after it. Undefined: start again from the beginning. */
  readonly after: string | undefined;
  /** The file holds an export's end line already: there is nothing to resume. */
  readonly complete: boolean;
  /** The event lines kept: what the end line of the file, once finished, counts beside the new ones. */
  readonly eventLines: number;
}

const NEWLINE = 0x0a;
const CHUNK_BYTES = 1 << 20;
const CURSOR_IN_LINE = /^\{"kind":"event","cursor":"(\d{20}-\d{20})"/;

/**
 * Reads a file from its end back to its last complete event line (the lines
 * of a cut export: events, maybe some rows, maybe half a line). Rows and a
 * half line after it are dropped on resuming: the gateway sends every row
 * again after the events. A file of a million lines is not read whole.
 */
export async function resumptionOf(file: string): Promise<ExportResumption> {
  const size = await stat(file).then(
    (found) => found.size,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return 0;
      throw error;
    },
  );
  if (size === 0) return { keepBytes: 0, after: undefined, complete: false, eventLines: 0 };
  const handle = await open(file, 'r');
  try {
    let end = size;
    let tail = Buffer.alloc(0);
    let lastLine = true;
    while (end > 0) {
      const start = Math.max(0, end - CHUNK_BYTES);
      const chunk = Buffer.alloc(end - start);
      await handle.read(chunk, 0, chunk.length, start);
      tail = Buffer.concat([chunk, tail]);
      end = start;
      // Complete lines in `tail` end at a newline; the bytes before the first newline may be a line's end only.
      let lineEnd = tail.lastIndexOf(NEWLINE);
      while (lineEnd >= 0) {
        // Not lastIndexOf(…, -1): a negative offset counts from the buffer's end.
        const lineStart = lineEnd > 0 ? tail.lastIndexOf(NEWLINE, lineEnd - 1) + 1 : 0;
        if (lineStart === 0 && end > 0) break;
        const line = tail.subarray(lineStart, lineEnd).toString('utf8');
        if (lastLine && line.startsWith('{"kind":"end"'))
          return { keepBytes: size, after: undefined, complete: true, eventLines: 0 };
        lastLine = false;
        const cursor = CURSOR_IN_LINE.exec(line)?.[1];
        if (cursor) {
          const keepBytes = end + lineEnd + 1;
          // Every line kept is an event line: rows only ever follow the last one.
          return { keepBytes, after: cursor, complete: false, eventLines: await linesIn(handle, keepBytes) };
        }
        lineEnd = lineStart - 1;
      }
      tail = lineEnd >= 0 ? tail.subarray(0, lineEnd + 1) : tail;
    }
    return { keepBytes: 0, after: undefined, complete: false, eventLines: 0 };
  } finally {
    await handle.close();
  }
}

/** How many lines the file's first `bytes` bytes hold, read a chunk at a time. */
async function linesIn(handle: FileHandle, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(CHUNK_BYTES);
  let lines = 0;
  for (let at = 0; at < bytes; at += CHUNK_BYTES) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(CHUNK_BYTES, bytes - at), at);
    for (let i = chunk.indexOf(NEWLINE); i >= 0 && i < bytesRead; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
  }
  return lines;
}

/** The file cut back to what a resumption keeps, then opened to append the rest. */
export async function appendAfter(file: string, keepBytes: number): Promise<WriteStream> {
  await truncate(file, keepBytes).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  const stream = createWriteStream(file, { flags: 'a' });
  await once(stream, 'open');
  return stream;
}

/** Writes with backpressure: waits for the stream to drain when its buffer is full. */
export async function writeLine(out: NodeJS.WritableStream, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}
