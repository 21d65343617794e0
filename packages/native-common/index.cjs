'use strict';
// What a binding.gyp needs to compile the shared native layer into its addon, in the
// manner of node-addon-api: gyp evaluates `<!(node -p "require(...)...")` with the .gyp
// file's directory as the working directory.
const { join, relative } = require('node:path');

/** Absolute path of the directory holding ssn.h, for "include_dirs". */
const include = join(__dirname, 'include');

/**
 * The shared C sources, for "sources" (each addon compiles its own copy), relative to
 * the working directory: gyp's make generator has no rule for an absolute source path
 * (it names the object `obj.target/<target>//abs/path.o`), while a relative one builds.
 */
const sources = ['args.c', 'table.c', 'arrays.c', 'module.c'].map((file) =>
  relative(process.cwd(), join(__dirname, 'src', file)),
);

module.exports = { include, sources };
