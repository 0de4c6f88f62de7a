import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docsPath } from '../model/finding.js';
import { packageRoot } from './package-info.js';

/** A rule's documentation page as shipped with the package. */
export function readRuleDoc(ruleId: string): string {
  return readFileSync(join(packageRoot(), docsPath(ruleId)), 'utf8');
}
