/**
 * The tool could not do its job (exit 2): a usage error, unreadable input, nothing collected. Every such
 * error extends this one class, and the CLI's entry point checks only it, so it need not load every module
 * that can throw one. Anything else is an internal error.
 */
export class ToolError extends Error {
  override name = 'ToolError';
}
