/**
 * The app's default local state (`terraform.<stack>.tfstate` in the project folder, app/backend.ts)
 * holds secrets in plain text: git must never pick it up, nor Terraform's backup of it.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { STACK_NAME } from "../../app/harbor-mirror-stack";

const ROOT = path.join(__dirname, "..", "..");

it.each([`terraform.${STACK_NAME}.tfstate`, `terraform.${STACK_NAME}.tfstate.backup`, "terraform.tfstate"])(
  "git ignores %s",
  (file) => {
    // check-ignore exits 0 and echoes the path when it is ignored, 1 when it is not.
    expect(
      execFileSync("git", ["check-ignore", "--no-index", file], { cwd: ROOT, encoding: "utf8" }).trim(),
    ).toBe(file);
  },
);
