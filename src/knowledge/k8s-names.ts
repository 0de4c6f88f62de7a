/**
 * What Kubernetes allows as names (apimachinery validation: DNS-1123 label for namespaces and container
 * names, DNS-1123 subdomain for most objects). Text from a pod, a bundle or a manifest is only used as a name
 * when it is one: it then holds no character that a terminal or a shell would act on.
 */
export function validK8sName(value: string | undefined, kind: 'label' | 'subdomain'): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const ok =
    kind === 'label'
      ? /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v)
      : v.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v);
  return ok ? v : undefined;
}
