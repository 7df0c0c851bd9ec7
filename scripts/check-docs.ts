// Checks the TSDoc of the public API: every symbol exported from src/index.ts has a summary and an
// `@example`, and every option of SystemOptions has a summary and (when optional) a `@default`. TypeDoc renders
// these (`npm run docs`); this check keeps them from going missing. Run: node --import tsx scripts/check-docs.ts
import ts from 'typescript';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One public symbol whose documentation is incomplete. */
export interface DocProblem {
  symbol: string;
  missing: Array<'summary' | '@example' | '@default'>;
}

const root = fileURLToPath(new URL('../', import.meta.url));

function summaryOf(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
}

function hasTag(symbol: ts.Symbol, checker: ts.TypeChecker, name: string): boolean {
  return symbol.getJsDocTags(checker).some((tag) => tag.name === name && ts.displayPartsToString(tag.text).trim() !== '');
}

/** The repository's compiler options (tsconfig.json), as the type check uses them. */
export function compilerOptions(): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('cannot read tsconfig.json');
  return config.options;
}

function load(entry: string): { checker: ts.TypeChecker; moduleSymbol: ts.Symbol } {
  const file = `${root}${entry}`;
  const program = ts.createProgram([file], compilerOptions());
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`cannot read the exports of ${entry}`);
  return { checker, moduleSymbol };
}

/** The symbols of `entry` (a path relative to the repository) whose TSDoc is incomplete, sorted by name. */
export function checkDocs(entry = 'src/index.ts'): DocProblem[] {
  const { checker, moduleSymbol } = load(entry);

  const problems: DocProblem[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const missing: DocProblem['missing'] = [];
    if (!summaryOf(symbol, checker)) missing.push('summary');
    if (!hasTag(symbol, checker, 'example')) missing.push('@example');
    if (missing.length > 0) problems.push({ symbol: exported.name, missing });

    if (exported.name === 'SystemOptions') {
      for (const option of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
        const optionMissing: DocProblem['missing'] = [];
        if (!summaryOf(option, checker)) optionMissing.push('summary');
        // A required option has no default to state.
        const optional = (option.flags & ts.SymbolFlags.Optional) !== 0;
        if (optional && !hasTag(option, checker, 'default')) optionMissing.push('@default');
        if (optionMissing.length > 0) problems.push({ symbol: `SystemOptions.${option.name}`, missing: optionMissing });
      }
    }
  }
  return problems.sort((a, b) => a.symbol.localeCompare(b.symbol));
}

/** One line per symbol, e.g. `  - createSystem: @example`. */
export function formatProblems(problems: readonly DocProblem[]): string {
  return problems.map((p) => `  - ${p.symbol}: ${p.missing.join(', ')}`).join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problems = checkDocs();
  if (problems.length > 0) {
    console.error(`${problems.length} public symbol(s) lack TSDoc (a summary, an @example; options: a @default):\n${formatProblems(problems)}`);
    process.exit(1);
  }
  console.log('every public symbol has a summary and an @example; every option has a @default');
}

/** The code of one `@example` of a public symbol (its ```ts fence, if any, removed). */
export interface DocExample {
  symbol: string;
  code: string;
}

/** Every `@example` of the symbols exported from `entry`, in export order. */
export function docExamples(entry = 'src/index.ts'): DocExample[] {
  const { checker, moduleSymbol } = load(entry);
  const examples: DocExample[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    for (const tag of symbol.getJsDocTags(checker)) {
      if (tag.name !== 'example') continue;
      const text = ts.displayPartsToString(tag.text);
      const fenced = /```(?:ts|typescript)?\n([\s\S]*?)```/.exec(text);
      examples.push({ symbol: exported.name, code: (fenced ? fenced[1] : text)!.trim() });
    }
  }
  return examples;
}
