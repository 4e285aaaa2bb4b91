import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".gen/", "cdktf.out/", "bin/", "*.js", "*.mjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
);
