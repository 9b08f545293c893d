// ESLint 9 flat config: typescript-eslint's recommended rules (syntax only, no type-checking
// pass, so a run takes seconds) plus the project's line limit of 120 characters, which counts
// comments and strings too. Formatting itself is Prettier's (npm run format / format:check).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const maxLen = ['error', { code: 120, tabWidth: 2, ignoreUrls: true }];

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'stubs/', 'bench/results/'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'web/**/*.ts', '*.js'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      'max-len': maxLen,
      // `_name` marks an argument or binding kept for its position or to drop it from a rest.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests quote reference values with every digit their source printed (mpmath, SciPy); the
    // 17th digit below float64's resolution is harmless against the tolerances they are checked to.
    files: ['test/**/*.ts'],
    rules: { 'no-loss-of-precision': 'off' },
  },
  {
    // AssemblyScript: TypeScript syntax with its own types (i32, f32, v128) and decorators on
    // functions (@inline, which TypeScript calls invalid: allowInvalidAST); only the line limit
    // applies, the TypeScript rules would misread its semantics.
    files: ['assembly/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { allowInvalidAST: true } },
    rules: { 'max-len': maxLen },
  },
);
