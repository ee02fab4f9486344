// ESLint for the TypeScript of src/, test/ and scripts/: the recommended rules of ESLint and
// typescript-eslint, and the type-aware rules that catch a promise nobody awaits.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // Generated or not TypeScript for Node: the bundle, build output, the WebAssembly source (AssemblyScript).
  { ignores: ['dist/', 'build/', 'coverage/', 'node_modules/', 'assembly/', 'src/record/record-scanner-wasm.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A variable a closure reads before its one assignment (a server's handlers, say) cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  }
)
