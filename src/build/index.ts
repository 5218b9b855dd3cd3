/**
 * The Dockerfile frontend: parse a Dockerfile as BuildKit reads it, type its instructions,
 * plan the stages, expand each instruction with its stage's variables, filter the context
 * with .dockerignore, and compute the cache keys of steps. Pure: no I/O, no node: imports.
 */
export type { Heredoc, ParsedLine, ParseResult, ParseWarning } from './ast.ts';
export { parseDockerfile, dumpParse } from './parser.ts';
export { ShellLex, envFromList, envFromMap, LexError, type EnvGetter, type LexOptions } from './lex.ts';
export {
  parseInstructions, parseInstruction, parseOnbuildTriggers, parseGoDuration,
  type Dockerfile, type StageDef, type Instruction, type InstructionOf, type KeyValue, type InlineFile, type SourceContent,
  type HealthConfig, type CommandLine, type CopySpec, type NetworkMode, type Located,
} from './instructions.ts';
export { planBuild, predefinedArgs, PROXY_ARGS, type BuildPlan, type PlannedStage, type PlanOptions, type Platform, type StageBase } from './plan.ts';
export { StageVars } from './stage-vars.ts';
export { readDockerignore, dockerignoreCandidates, PatternMatcher, cleanPath, type ParentMatches } from './dockerignore.ts';
export { walkContext, type ContextSource, type ContextEntry, type EntryType } from './context.ts';
export {
  tarsumHeader, entryDigest, pathChecksum, sourceChecksum, globContext, filterContext, instructionKeyText, stepKey, hashWasmSha256,
  type Hasher, type HasherFactory, type StepKeyInput,
} from './cache-key.ts';
export { exposedPorts } from './expose.ts';
export { classifySources, parseChmod, type CopySource } from './copy-sources.ts';
