/**
 * Reading a file found in a project, which may be hostile: only a regular
 * file, never through a symbolic link at its last part, never a device, FIFO
 * or socket (which could hang the run or stream without end), and never more
 * than a size no generated file comes near.
 */
import fs from 'node:fs';
import { UsageError, describeSystemError, showPath } from './errors.js';

/** Far above any file the generator writes or reads (a kit module is about 40 KB). */
const MAX_READ_BYTES = 16 * 1024 * 1024;

/**
 * The contents of `file`, or undefined when there is none. Anything but a
 * regular file of at most `maxBytes` stops the run in one line naming
 * `shown` (the path as the user knows it).
 */
export function readRegularFile(file: string, shown = file, maxBytes = MAX_READ_BYTES): Buffer | undefined {
  let fd: number;
  try {
    // O_NOFOLLOW: a link is refused, not followed; O_NONBLOCK: a FIFO cannot hold the open.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw new UsageError(`${showPath(shown)} is a symbolic link; the generator never reads or writes through links. Nothing was written.`, 'Replace it with the file itself, or remove it, and run again.');
    const reason = describeSystemError(error);
    if (reason === undefined) throw error;
    throw new UsageError(`Cannot read ${showPath(shown)}: ${reason}. Nothing was written.`, 'Make it readable (or move it away) and run again.');
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw new UsageError(`${showPath(shown)} is not a regular file, so it cannot be read. Nothing was written.`, 'Remove it and run again.');
    if (stats.size > maxBytes) {
      throw new UsageError(`${showPath(shown)} is ${Math.round(stats.size / 1024)} KiB, far more than any file this generator reads. Nothing was written.`, 'Remove or shorten it and run again.');
    }
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
