// Resolution for dependency-cruiser (read as a webpack config): our TypeScript imports name the
// emitted `.js` (NodeNext), and tsc writes that `.js` beside each `.ts`; checking the sources means
// resolving `./x.js` to `./x.ts` first, as TypeScript itself does.
module.exports = { resolve: { extensionAlias: { '.js': ['.ts', '.js'] } } }
