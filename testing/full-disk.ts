/**
 * A really full disk for the node-side fault tests: a small tmpfs mounted at a directory of the
 * test's own sandbox, filled with a filler file until the kernel answers ENOSPC, then given back
 * exactly the pages asked for. Writes into it fail the way they fail on a full node disk.
 * Mounting needs root with CAP_SYS_ADMIN; `fullDiskBlocker` says why it cannot run otherwise.
 */
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** tmpfs allocates whole pages: free space is counted in these. */
export const PAGE_BYTES = 4096;

export interface FullDisk {
  /** Leaves exactly `pages` free pages (after the files already there). */
  fill(pages: number): void;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeKiB` at `dir` (created if missing). */
export function mountSmallFilesystem(dir: string, sizeKiB: number): FullDisk {
  mkdirSync(dir, { recursive: true });
  run("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0755`, "tmpfs", dir]);
  const filler = join(dir, ".filler");
  return {
    fill: (pages) => {
      const fd = openSync(filler, "w");
      try {
        const chunk = Buffer.alloc(PAGE_BYTES, 0x78);
        let written = 0;
        for (;;) {
          try {
            written += writeSync(fd, chunk);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
            break;
          }
        }
        ftruncateSync(fd, Math.max(0, written - pages * PAGE_BYTES));
      } finally {
        closeSync(fd);
      }
    },
    unmount: () => run("umount", [dir]),
  };
}

/** Why a small filesystem cannot be mounted here, or undefined when it can. */
export function fullDiskBlocker(): string | undefined {
  if (process.getuid?.() !== 0) return "mounting a small tmpfs needs root";
  const probe = mkdtempSync(join(tmpdir(), "hm-tmpfs-probe-"));
  try {
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", probe], { encoding: "utf8" });
    if (mount.status !== 0) return `mount -t tmpfs is not allowed here: ${mount.stderr.trim()}`;
    run("umount", [probe]);
    return undefined;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
}
