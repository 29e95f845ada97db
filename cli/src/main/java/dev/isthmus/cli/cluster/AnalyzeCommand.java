package dev.isthmus.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code isthmus analyze [-A | -n NS] [FILE|DIR]...}: runs {@link Analyzer} over the Istio config
 * of the cluster, or over files. As istioctl, it exits 79 when it finds a message at or above
 * {@code --failure-threshold} (Error by default), and 1 for bad input.
 */
@Command(
    name = "isthmus analyze",
    mixinStandardHelpOptions = true,
    description = "Analyzes Istio configuration in the cluster or in files and prints messages.")
final class AnalyzeCommand implements Callable<Integer> {
  /** istioctl's exit code when analyzers report an issue at or above the failure threshold. */
  static final int ISSUES_FOUND = 79;

  /** The kinds read from the cluster: apiVersion and kind. */
  static final List<String[]> KINDS =
      List.of(
          new String[] {"networking.istio.io/v1", "VirtualService"},
          new String[] {"networking.istio.io/v1", "DestinationRule"},
          new String[] {"networking.istio.io/v1", "Gateway"},
          new String[] {"networking.istio.io/v1", "ServiceEntry"},
          new String[] {"networking.istio.io/v1", "Sidecar"},
          new String[] {"networking.istio.io/v1", "WorkloadEntry"},
          new String[] {"networking.istio.io/v1alpha3", "EnvoyFilter"},
          new String[] {"security.istio.io/v1", "PeerAuthentication"},
          new String[] {"security.istio.io/v1", "AuthorizationPolicy"},
          new String[] {"security.istio.io/v1", "RequestAuthentication"},
          new String[] {"telemetry.istio.io/v1", "Telemetry"});

  @Mixin ClusterOptions cluster;

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "analyze every namespace")
  boolean allNamespaces;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NAMESPACE",
      description = "namespace to analyze (default: default)")
  String namespace;

  @Option(
      names = "--use-kube",
      arity = "1",
      paramLabel = "true|false",
      description = "read the cluster too (default: true without files, false with files)")
  Boolean useKube;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "log",
      description = "log, json or yaml (default: ${DEFAULT-VALUE})")
  String output;

  @Option(
      names = "--output-threshold",
      paramLabel = "LEVEL",
      defaultValue = "Info",
      description = "least severe level to print (default: ${DEFAULT-VALUE})")
  String outputThreshold;

  @Option(
      names = "--failure-threshold",
      paramLabel = "LEVEL",
      defaultValue = "Error",
      description = "least severe level that exits 79 (default: ${DEFAULT-VALUE})")
  String failureThreshold;

  @Parameters(paramLabel = "FILE", description = "YAML files or folders of them")
  List<Path> files = new ArrayList<>();

  private final PrintStream out;
  private final PrintStream err;

  AnalyzeCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws IOException {
    String bad = Diagnostic.invalidFormat(output);
    if (bad != null) {
      throw new IllegalArgumentException(bad);
    }
    Diagnostic.Level show = level("--output-threshold", outputThreshold);
    Diagnostic.Level fail = level("--failure-threshold", failureThreshold);
    if (allNamespaces && namespace != null) {
      throw new IllegalArgumentException("-A/--all-namespaces and -n/--namespace are exclusive");
    }
    boolean kube = useKube != null ? useKube : files.isEmpty();
    KubernetesClient client = kube ? cluster.client() : null;
    // as kubectl: -n, else the namespace of the kubeconfig's context, else default
    String ns =
        namespace != null
            ? namespace
            : client != null && client.getNamespace() != null ? client.getNamespace() : "default";
    List<Analyzer.Source> objects = new ArrayList<>();
    for (Path f : files) {
      objects.addAll(readFiles(f, ns));
    }
    Set<String> services = null;
    Map<String, Map<String, String>> namespaces = new TreeMap<>();
    if (kube) {
      try (client) {
        List<Namespace> nss =
            allNamespaces
                ? client.namespaces().list().getItems()
                : Stream.ofNullable(client.namespaces().withName(ns).get()).toList();
        if (!allNamespaces && nss.isEmpty()) {
          throw new IllegalArgumentException("namespace " + ns + " not found");
        }
        for (Namespace n : nss) {
          namespaces.put(n.getMetadata().getName(), n.getMetadata().getLabels());
        }
        objects.addAll(readCluster(client, allNamespaces ? null : ns));
        services = new HashSet<>();
        var svcs =
            allNamespaces
                ? client.services().inAnyNamespace().list()
                : client.services().inNamespace(ns).list();
        for (var s : svcs.getItems()) {
          services.add(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName());
        }
      }
    }
    List<Diagnostic> found = new Analyzer("cluster.local").analyze(objects, services, namespaces);
    List<Diagnostic> shown = found.stream().filter(d -> d.level().atLeast(show)).toList();
    String what =
        !kube
            ? String.join(" ", files.stream().map(Path::toString).toList())
            : allNamespaces ? "all namespaces" : "namespace: " + ns;
    if (shown.isEmpty()) {
      err.println("✔ No validation issues found when analyzing " + what + ".");
    } else {
      Diagnostic.print(out, shown, output);
    }
    if (found.stream().anyMatch(d -> d.level().atLeast(fail))) {
      err.println("Error: Analyzers found issues when analyzing " + what + ".");
      return ISSUES_FOUND;
    }
    return 0;
  }

  private static Diagnostic.Level level(String flag, String value) {
    Diagnostic.Level l = Diagnostic.Level.parse(value);
    if (l == null) {
      throw new IllegalArgumentException(
          flag + " " + value + ": expected one of Info, Warning, Error");
    }
    return l;
  }

  /** Every YAML document of a file, or of the .yaml/.yml/.json files under a folder. */
  static List<Analyzer.Source> readFiles(Path path, String defaultNamespace) throws IOException {
    if (!Files.exists(path)) {
      throw new IllegalArgumentException(path + ": no such file or folder");
    }
    List<Path> paths;
    if (Files.isDirectory(path)) {
      try (Stream<Path> s = Files.walk(path)) {
        paths =
            s.filter(Files::isRegularFile)
                .filter(p -> p.toString().matches(".*\\.(ya?ml|json)$"))
                .sorted()
                .toList();
      }
    } else {
      paths = List.of(path);
    }
    List<Analyzer.Source> out = new ArrayList<>();
    for (Path p : paths) {
      String text = Files.readString(p);
      int line = 1;
      for (String doc : text.split("(?m)^---[ \\t]*$")) {
        int docLine = line;
        line += doc.split("\n", -1).length - 1;
        if (doc.isBlank() || doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
          continue;
        }
        JsonNode node;
        try {
          node = Serialization.yamlMapper().readTree(doc);
        } catch (IOException e) {
          throw new IllegalArgumentException(
              p + ":" + docLine + ": not YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(node instanceof ObjectNode o) || !o.has("kind") || !o.has("apiVersion")) {
          throw new IllegalArgumentException(
              p + ":" + docLine + ": expected a Kubernetes object with apiVersion and kind");
        }
        if (o.at("/metadata/namespace").asText("").isEmpty()) {
          o.withObject("/metadata").put("namespace", defaultNamespace);
        }
        int first = docLine + (doc.startsWith("\n") ? 1 : 0);
        out.add(new Analyzer.Source(o, p + ":" + first));
      }
    }
    return out;
  }

  /** Istio config of a namespace (or all with null) from the cluster; absent CRDs are skipped. */
  static List<Analyzer.Source> readCluster(KubernetesClient client, String ns) {
    List<Analyzer.Source> out = new ArrayList<>();
    for (String[] k : KINDS) {
      List<GenericKubernetesResource> items;
      try {
        var op = client.genericKubernetesResources(k[0], k[1]);
        items = (ns == null ? op.inAnyNamespace().list() : op.inNamespace(ns).list()).getItems();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404 || String.valueOf(e.getMessage()).contains("Could not find")) {
          continue;
        }
        throw e;
      }
      for (GenericKubernetesResource r : items) {
        out.add(new Analyzer.Source(Serialization.jsonMapper().valueToTree(r), null));
      }
    }
    return out;
  }
}
