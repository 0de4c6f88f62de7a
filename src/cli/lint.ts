import { Command } from 'commander';
import { lintPaths, nodePortsFrom } from '../engine.js';
import { NEWEST_KNOWN_K8S, parseK8sVersion } from '../knowledge/k8s-sysctls.js';
import { renderGithub } from '../report/github.js';
import { renderSarif } from '../report/sarif.js';
import { selectManifestRules } from '../rules/index.js';
import { readRuleDoc } from '../sources/docs.js';
import { TOOL_HOMEPAGE } from '../sources/package-info.js';
import { addCommonOptions, emit, render, UsageError, type CommonOptions } from './options.js';

interface LintOptions extends CommonOptions {
  k8sVersion?: string;
  nodeportRange?: string;
}

export function lintCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('lint')
    .description("lint Kubernetes manifests for pods that change sysctls in ways that break the node's TCP")
    .argument('<path...>', 'manifest files, directories (searched for *.yaml, *.yml, *.json), or - for stdin')
    .option(
      '--k8s-version <version>',
      `the Kubernetes version the manifests are for (decides which sysctls are safe; default ${NEWEST_KNOWN_K8S.join('.')}, the newest known)`,
    )
    .option('--nodeport-range <A-B>', "the cluster's NodePort range (default 30000-32767)")
    .option('--verbose', 'also list findings silenced by netdoctor.io/ignore annotations, with the reason');
  addCommonOptions(cmd, ['text', 'json', 'sarif', 'github', 'markdown']).addHelpText(
    'after',
    `
Examples:
  netdoctor lint deploy/
  helm template my-release ./chart | netdoctor lint -
  netdoctor lint k8s/ --format sarif > netdoctor.sarif     (upload with github/codeql-action/upload-sarif)
  netdoctor lint k8s/ --format github                       (annotations in a GitHub Actions log)
  netdoctor lint pod.yaml --k8s-version 1.27 --nodeport-range 30000-32767

Silence a finding on one object with an annotation (--verbose shows it, with the reason):
  metadata:
    annotations:
      netdoctor.io/ignore: prefer-safe-sysctl
      netdoctor.io/ignore-reason: "the image's entrypoint needs the privileged container anyway"

Exit status: 0 nothing at or above --fail-on, 1 findings, 2 a path or document could not be read.`,
  );
  return cmd.action(async (paths: string[], opts: LintOptions) => {
    const rules = selectManifestRules(opts.rules);
    const k8sVersion = opts.k8sVersion === undefined ? NEWEST_KNOWN_K8S : parseK8sVersion(opts.k8sVersion);
    if (!k8sVersion) throw new UsageError(`--k8s-version "${opts.k8sVersion}" is not a version like 1.29 or v1.29.3`);
    const report = await lintPaths(paths, {
      rules,
      options: { k8sVersion, nodePortRange: nodePortsFrom(opts.nodeportRange).range },
    });
    const output =
      opts.format === 'sarif'
        ? renderSarif(report, {
            homepage: TOOL_HOMEPAGE,
            rules: rules.map((r) => ({ id: r.id, title: r.title, severity: r.severity, help: readRuleDoc(r.id) })),
          })
        : opts.format === 'github'
          ? renderGithub(report)
          : render(report, opts);
    const code = emit(report, opts, output);
    setExit(report.problems.length > 0 ? 2 : code);
  });
}
