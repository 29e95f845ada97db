package dev.isthmus.cli.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code isthmus x precheck}: whether Istio can be installed into (or upgraded in) the cluster —
 * the API server's version, an install already there, the Gateway API CRDs, and the caller's
 * permissions — reported with Istio's analysis codes. Exits 1 when any error is found.
 */
@Command(
    name = "isthmus x precheck",
    mixinStandardHelpOptions = true,
    description = "Checks whether Istio can safely be installed or upgraded in the cluster.")
final class PrecheckCommand implements Callable<Integer> {
  /** Oldest Kubernetes minor this release supports, and newest it was tested with. */
  static final int MIN_K8S_MINOR = 30;

  static final int MAX_K8S_MINOR = 35;

  /** Oldest Gateway API bundle with every kind the control plane reads at v1 (GRPCRoute). */
  static final String MIN_GATEWAY_API = "v1.1.0";

  static final String GATEWAY_GROUP = "gateway.networking.k8s.io";

  static final List<String> STANDARD_GATEWAY_KINDS =
      List.of("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant");

  /** What an install creates, as {@code group/resource} and whether it is namespaced. */
  record Need(String group, String resource, boolean namespaced) {}

  static final List<Need> NEEDS =
      List.of(
          new Need("", "namespaces", false),
          new Need("rbac.authorization.k8s.io", "clusterroles", false),
          new Need("rbac.authorization.k8s.io", "clusterrolebindings", false),
          new Need("apiextensions.k8s.io", "customresourcedefinitions", false),
          new Need("admissionregistration.k8s.io", "mutatingwebhookconfigurations", false),
          new Need("admissionregistration.k8s.io", "validatingwebhookconfigurations", false),
          new Need("rbac.authorization.k8s.io", "roles", true),
          new Need("rbac.authorization.k8s.io", "rolebindings", true),
          new Need("", "serviceaccounts", true),
          new Need("", "services", true),
          new Need("", "configmaps", true),
          new Need("apps", "deployments", true),
          new Need("policy", "poddisruptionbudgets", true),
          new Need("autoscaling", "horizontalpodautoscalers", true));

  @Mixin ClusterOptions cluster;

  @Option(
      names = {"-r", "--revision"},
      paramLabel = "REVISION",
      defaultValue = "default",
      description = "control plane revision to check for (default: ${DEFAULT-VALUE})")
  String revision;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "log",
      description = "log, json or yaml (default: ${DEFAULT-VALUE})")
  String output;

  @Option(
      names = "--output-threshold",
      paramLabel = "LEVEL",
      defaultValue = "Warning",
      description =
          "least severe level to print: Info, Warning or Error (default: ${DEFAULT-VALUE})")
  String threshold;

  private final PrintStream out;
  private final PrintStream err;

  PrecheckCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    String bad = Diagnostic.invalidFormat(output);
    if (bad != null) {
      throw new IllegalArgumentException(bad);
    }
    Diagnostic.Level level = Diagnostic.Level.parse(threshold);
    if (level == null) {
      throw new IllegalArgumentException(
          "--output-threshold " + threshold + ": expected one of Info, Warning, Error");
    }
    if (revision.isBlank()) {
      throw new IllegalArgumentException("--revision must not be empty");
    }
    List<Diagnostic> found = new ArrayList<>();
    try (KubernetesClient client = cluster.client()) {
      found.addAll(serverVersion(client.getKubernetesVersion()));
      found.addAll(orForbidden("an existing install", () -> existingInstall(client, revision)));
      found.addAll(
          orForbidden(
              "the Gateway API CRDs",
              () ->
                  gatewayApi(
                      client.apiextensions().v1().customResourceDefinitions().list().getItems())));
      found.addAll(permissions(client, cluster.istioNamespace()));
    }
    List<Diagnostic> shown =
        found.stream().filter(d -> d.level().atLeast(level)).sorted(Diagnostic.ORDER).toList();
    if (shown.isEmpty()) {
      err.println(
          "✔ No issues found when checking the cluster. Istio is safe to install or upgrade!");
    } else {
      Diagnostic.print(out, shown, output);
    }
    if (found.stream().anyMatch(d -> d.level() == Diagnostic.Level.Error)) {
      err.println(
          "Error: issues found when checking the cluster. Istio may not be safe to install or"
              + " upgrade.");
      return 1;
    }
    return 0;
  }

  /**
   * Runs a check that reads the cluster; when the caller may not read what it needs, the check
   * becomes a warning saying so (the permission check reports what an install would miss).
   */
  static List<Diagnostic> orForbidden(String what, Supplier<List<Diagnostic>> check) {
    try {
      return check.get();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 403) {
        throw e;
      }
      String reason =
          e.getStatus() != null && e.getStatus().getMessage() != null
              ? e.getStatus().getMessage()
              : "forbidden";
      return List.of(
          Diagnostic.warning(null, "Cluster", "Cannot check for " + what + ": " + reason));
    }
  }

  /** IST0142 when the API server is older than supported; a warning when newer than tested. */
  static List<Diagnostic> serverVersion(VersionInfo v) {
    int minor = leadingInt(v.getMinor());
    String git = v.getGitVersion();
    if (!"1".equals(v.getMajor()) || minor < 0) {
      return List.of(
          Diagnostic.warning(null, "Cluster", "Cannot read the Kubernetes version: " + git));
    }
    if (minor < MIN_K8S_MINOR) {
      return List.of(
          Diagnostic.error(
              "IST0142",
              "Cluster",
              "The Kubernetes Version \""
                  + git
                  + "\" is lower than the minimum version: 1."
                  + MIN_K8S_MINOR));
    }
    if (minor > MAX_K8S_MINOR) {
      return List.of(
          Diagnostic.warning(
              null,
              "Cluster",
              "The Kubernetes Version \""
                  + git
                  + "\" is newer than the newest tested version: 1."
                  + MAX_K8S_MINOR));
    }
    return List.of();
  }

  /**
   * An istiod Deployment, an IstioOperator or an injector webhook already there. The same revision
   * is a warning (installing upgrades it in place); another revision is information (a canary
   * install runs beside it).
   */
  static List<Diagnostic> existingInstall(KubernetesClient client, String revision) {
    List<Diagnostic> out = new ArrayList<>();
    for (Deployment d :
        client.apps().deployments().inAnyNamespace().withLabel("app", "istiod").list().getItems()) {
      out.add(existing(d, "Deployment", revOf(d), revision, "control plane"));
    }
    for (var wh :
        client
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withLabel("istio.io/rev")
            .withoutLabel("istio.io/tag")
            .list()
            .getItems()) {
      out.add(existing(wh, "MutatingWebhookConfiguration", revOf(wh), revision, "injector"));
    }
    try {
      for (GenericKubernetesResource iop :
          client
              .genericKubernetesResources("install.istio.io/v1alpha1", "IstioOperator")
              .inAnyNamespace()
              .list()
              .getItems()) {
        Object rev =
            Optional.ofNullable(iop.getAdditionalProperties().get("spec"))
                .filter(Map.class::isInstance)
                .map(s -> ((Map<?, ?>) s).get("revision"))
                .orElse(null);
        String r = rev == null || rev.toString().isEmpty() ? "default" : rev.toString();
        out.add(existing(iop, "IstioOperator", r, revision, "IstioOperator"));
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
    return out;
  }

  private static Diagnostic existing(
      HasMetadata o, String kind, String rev, String revision, String what) {
    String origin =
        kind
            + " "
            + (o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace() + "/")
            + o.getMetadata().getName();
    if (rev.equals(revision)) {
      return Diagnostic.warning(
          null,
          origin,
          "An Istio "
              + what
              + " of revision \""
              + rev
              + "\" is already installed: installing revision \""
              + revision
              + "\" upgrades it in place. Use --revision for a canary install beside it.");
    }
    return Diagnostic.info(
        null,
        origin,
        "An Istio " + what + " of revision \"" + rev + "\" is installed; it is left as it is.");
  }

  private static String revOf(HasMetadata o) {
    Map<String, String> labels = o.getMetadata().getLabels();
    String r = labels == null ? null : labels.get("istio.io/rev");
    return r == null || r.isEmpty() ? "default" : r;
  }

  /**
   * IST0156 for a Gateway API CRD that does not serve v1 (Gateway, GatewayClass, HTTPRoute) or
   * whose bundle is older than {@link #MIN_GATEWAY_API}; a warning naming the standard kinds
   * missing when some are installed; information when none are.
   */
  static List<Diagnostic> gatewayApi(List<CustomResourceDefinition> crds) {
    List<Diagnostic> out = new ArrayList<>();
    TreeSet<String> kinds = new TreeSet<>();
    for (CustomResourceDefinition crd : crds) {
      if (!GATEWAY_GROUP.equals(crd.getSpec().getGroup())) {
        continue;
      }
      String kind = crd.getSpec().getNames().getKind();
      kinds.add(kind);
      String origin = "CustomResourceDefinition " + crd.getMetadata().getName();
      TreeSet<String> served = new TreeSet<>();
      crd.getSpec().getVersions().stream()
          .filter(v -> Boolean.TRUE.equals(v.getServed()))
          .forEach(v -> served.add(v.getName()));
      String bundle =
          Optional.ofNullable(crd.getMetadata().getAnnotations())
              .map(a -> a.get("gateway.networking.k8s.io/bundle-version"))
              .orElse(null);
      if (List.of("Gateway", "GatewayClass", "HTTPRoute").contains(kind)
          && !served.contains("v1")) {
        out.add(
            Diagnostic.error(
                "IST0156",
                origin,
                "The Gateway API CRD version "
                    + (served.isEmpty() ? "none" : String.join(",", served))
                    + " is lower than the minimum version: v1"));
      } else if (bundle != null && compareVersions(bundle, MIN_GATEWAY_API) < 0) {
        out.add(
            Diagnostic.error(
                "IST0156",
                origin,
                "The Gateway API CRD version "
                    + bundle
                    + " is lower than the minimum version: "
                    + MIN_GATEWAY_API
                    + " ("
                    + kind
                    + ")"));
      } else if (bundle == null) {
        out.add(
            Diagnostic.info(
                null,
                origin,
                "No gateway.networking.k8s.io/bundle-version annotation: the Gateway API version"
                    + " of "
                    + kind
                    + " is unknown"));
      }
    }
    if (kinds.isEmpty()) {
      out.add(
          Diagnostic.info(
              null,
              "Cluster",
              "The Gateway API CRDs are not installed: Kubernetes Gateway and HTTPRoute support"
                  + " needs them (install "
                  + MIN_GATEWAY_API
                  + " or later)"));
      return out;
    }
    List<String> missing = STANDARD_GATEWAY_KINDS.stream().filter(k -> !kinds.contains(k)).toList();
    if (!missing.isEmpty()) {
      out.add(
          Diagnostic.warning(
              null,
              "Cluster",
              "Gateway API CRDs are installed but these kinds are missing: "
                  + String.join(", ", missing)));
    }
    return out;
  }

  /** IST0141 for each kind of object an install creates that the caller may not create. */
  static List<Diagnostic> permissions(KubernetesClient client, String istioNamespace) {
    List<Diagnostic> out = new ArrayList<>();
    for (Need n : NEEDS) {
      SelfSubjectAccessReview review =
          new SelfSubjectAccessReviewBuilder()
              .withNewSpec()
              .withNewResourceAttributes()
              .withNamespace(n.namespaced() ? istioNamespace : null)
              .withVerb("create")
              .withGroup(n.group())
              .withResource(n.resource())
              .endResourceAttributes()
              .endSpec()
              .build();
      var status = client.authorization().v1().selfSubjectAccessReview().create(review).getStatus();
      if (status == null || !Boolean.TRUE.equals(status.getAllowed())) {
        String reason =
            status == null || status.getReason() == null || status.getReason().isEmpty()
                ? "permission denied"
                : status.getReason();
        out.add(
            Diagnostic.error(
                "IST0141",
                "Cluster",
                "Missing required permission to create resource "
                    + n.resource()
                    + " ("
                    + reason
                    + ")"));
      }
    }
    return out;
  }

  static int leadingInt(String s) {
    if (s == null) {
      return -1;
    }
    int i = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    return i == 0 ? -1 : Integer.parseInt(s.substring(0, i));
  }

  /** Compares {@code v1.2.3}-style versions numerically; pre-release suffixes are ignored. */
  static int compareVersions(String a, String b) {
    String[] x = a.replaceFirst("^v", "").split("[.-]");
    String[] y = b.replaceFirst("^v", "").split("[.-]");
    for (int i = 0; i < 3; i++) {
      int p = i < x.length ? Math.max(leadingInt(x[i]), 0) : 0;
      int q = i < y.length ? Math.max(leadingInt(y[i]), 0) : 0;
      if (p != q) {
        return Integer.compare(p, q);
      }
    }
    return 0;
  }
}
