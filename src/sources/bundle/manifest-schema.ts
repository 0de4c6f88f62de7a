import { z } from 'zod';

/**
 * manifest.json as a stranger's bundle may hold it: each field checked on its own, so one field of the
 * wrong type is a problem for that field and the rest of the bundle is still analysed.
 */
const entry = z.object({ path: z.string().max(4096), reason: z.string().max(8192) });
const netnsMeta = z.object({
  id: z.string().regex(/^[\w.-]{1,128}$/),
  isHost: z.boolean().optional(),
  inode: z.number().int().nonnegative().optional(),
  pid: z.number().int().nonnegative().optional(),
  command: z.string().max(256).optional(),
  name: z.string().max(256).optional(),
  pod: z.string().max(253).optional(),
  namespace: z.string().max(63).optional(),
  podUid: z.string().max(64).optional(),
  container: z.string().max(253).optional(),
});

export const MANIFEST_FIELDS = {
  schemaVersion: z.number().int().positive(),
  tool: z.string().max(256),
  version: z.string().max(256),
  createdAt: z.string().max(64),
  hostname: z.string().max(253),
  intervalMs: z.number().nonnegative().max(86_400_000),
  byteOrder: z.enum(['LE', 'BE']),
  nodePortRange: z.string().max(32),
  nodePortRangeOrigin: z.string().max(256),
  redacted: z.boolean(),
  netns: z.array(netnsMeta).max(100_000),
  problems: z.array(entry).max(100_000),
  absent: z.array(entry).max(100_000),
  notes: z.array(z.string().max(8192)).max(1000),
} as const;

type ManifestField = keyof typeof MANIFEST_FIELDS;

/** The fields that passed, and one sentence per field that did not. */
export function checkManifest(value: unknown): {
  fields: Partial<{ [K in ManifestField]: z.infer<(typeof MANIFEST_FIELDS)[K]> }>;
  problems: string[];
} {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { fields: {}, problems: ['not a JSON object; ignored, the layout is read instead'] };
  const fields: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, schema] of Object.entries(MANIFEST_FIELDS)) {
    const raw = (value as Record<string, unknown>)[key];
    if (raw === undefined) continue;
    const r = schema.safeParse(raw);
    if (r.success) fields[key] = r.data;
    else
      problems.push(
        `field "${key}": ${r.error.issues[0]?.message ?? 'invalid'}${r.error.issues[0]?.path.length ? ` at ${r.error.issues[0].path.join('.')}` : ''}; ignored`,
      );
  }
  return { fields: fields, problems };
}
