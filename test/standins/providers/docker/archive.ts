/**
 * A minimal POSIX ustar writer: regular files only, owned by root, for `putArchive`. Docker's
 * extraction creates missing parent directories itself, so no directory entries are written (they
 * would also reset the mode of directories the image already has, such as /etc).
 */

export interface ArchiveFile {
  /** Absolute path inside the container. */
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

const blockSize = 512;

export function tarArchive(files: readonly ArchiveFile[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    blocks.push(header(file));
    blocks.push(file.content);
    const padding = (blockSize - (file.content.length % blockSize)) % blockSize;
    blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(blockSize * 2));
  return Buffer.concat(blocks);
}

function header(file: ArchiveFile): Buffer {
  const relative = file.path.replace(/^\/+/, "");
  const [prefix, name] = splitPath(relative);
  const block = Buffer.alloc(blockSize);
  block.write(name, 0, 100, "utf8");
  writeOctal(block, 100, 8, file.mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, file.content.length);
  writeOctal(block, 136, 12, Math.floor(Date.now() / 1000));
  block.fill(" ", 148, 156);
  block.write("0", 156, 1, "ascii");
  block.write("ustar\u000000", 257, 8, "ascii");
  block.write("root", 265, 32, "ascii");
  block.write("root", 297, 32, "ascii");
  block.write(prefix, 345, 155, "utf8");
  let checksum = 0;
  for (const byte of block) checksum += byte;
  block.write(checksum.toString(8).padStart(6, "0") + "\u0000 ", 148, 8, "ascii");
  return block;
}

function splitPath(path: string): [string, string] {
  if (Buffer.byteLength(path) <= 100) {
    return ["", path];
  }
  const cut = path.lastIndexOf("/", 155);
  if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) {
    throw new Error(`upload path too long for a tar header: /${path}`);
  }
  return [path.slice(0, cut), path.slice(cut + 1)];
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, "0") + "\u0000", offset, length, "ascii");
}
