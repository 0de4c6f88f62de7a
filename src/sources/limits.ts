/**
 * Limits shared by more than one reader. YAML input is capped lower than other text because the YAML
 * stack holds a tree many times the text's size.
 */

/** One manifest input (a file, stdin, or a loose YAML file given to analyze) larger than this is refused. */
export const MAX_MANIFEST_INPUT = 32 * 1024 * 1024;
