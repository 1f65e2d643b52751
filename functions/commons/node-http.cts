// node:http as require gives it, not as an ES import: importing it builds a module namespace of
// every export, and node:http's include the WebSocket of undici, which then loads (~30 ms at
// each cold start). Bundles alias node:http to this file (lib/strata-function.ts BUNDLE_ALIASES).
module.exports = process.getBuiltinModule('node:http');
