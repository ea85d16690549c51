const tseslint = require("typescript-eslint");

module.exports = tseslint.config(
  { ignores: ["node_modules/", ".lab/", "**/*.js"] },
  ...tseslint.configs.recommended,
);
