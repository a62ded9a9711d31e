// Fails when the project runs on a Node.js older than the LTS it targets.
// npm scripts put node_modules/.bin first on PATH, so the `node` devDependency is the one that runs here;
// if npm skipped that package's install script, the machine's own (older) Node would run instead.
'use strict';
const required = Number(require('../package.json').engines.node.replace(/[^0-9]/g, ''));
const major = Number(process.versions.node.split('.')[0]);
if (major < required) {
  console.error(
    `Node.js ${process.versions.node} is running, the project needs >= ${required}. ` +
      'Run `npm ci` (the `node` devDependency installs it); if it did not, check that npm allowed its install script.',
  );
  process.exit(1);
}
