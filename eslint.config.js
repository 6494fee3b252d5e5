// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "cdktf.out/", ".gen/", "coverage/", ".tokenplane/", "charts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Each file is checked with the nearest tsconfig.json (src/console has its own, with DOM and JSX).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "no-console": ["error", { allow: ["error"] }],
      // async without await keeps a Promise-returning contract (gRPC handlers, store methods).
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // `z` is zod's whole API as one object: the CLI bundle (scripts/bundle-cli.ts) would keep
    // all of it (~450 kB); a namespace import keeps what is called.
    files: ["src/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: 'import zod as `import * as z from "zod"`',
        },
      ],
    },
  },
  {
    // The Kubernetes API fixture echoes whatever JSON it was sent into messages, as the API server does.
    files: ["test/support/kube-api/**"],
    rules: { "@typescript-eslint/no-base-to-string": "off" },
  },
  {
    // vitest's asymmetric matchers (expect.any, objectContaining...) are typed any.
    files: ["test/**"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ["src/cli.ts", "bench/**", "examples/**", "test/**"],
    rules: { "no-console": "off" },
  },
);
