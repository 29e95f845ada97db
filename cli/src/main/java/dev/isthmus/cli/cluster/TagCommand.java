package dev.isthmus.cli.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.Yamls;
import dev.isthmus.translate.render.K8s;
import dev.isthmus.translate.render.RevisionTags;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code isthmus tag set|list|remove|generate}: revision tags, as istioctl manages them. A tag is
 * an {@code istio-revision-tag-<tag>} MutatingWebhookConfiguration labelled {@code
 * istio.io/tag=<tag>} and {@code istio.io/rev=<revision>}, built by {@link RevisionTags} from the
 * revision's own injector webhook (its service or URL and its caBundle).
 */
@Command(
    name = "isthmus tag",
    mixinStandardHelpOptions = true,
    description = "Creates, lists and removes revision tags (aliases of control plane revisions).",
    subcommands = {
      TagCommand.Set.class,
      TagCommand.Generate.class,
      TagCommand.ListTags.class,
      TagCommand.Remove.class
    })
public final class TagCommand implements Callable<Integer> {
  final PrintStream out;
  final PrintStream err;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  TagCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "expected a subcommand: set, generate, list or remove");
  }

  /** What a revision's injector webhook tells a tag about it. */
  record RevisionWebhook(
      String revision, String namespace, String url, String caBundle, String path) {}

  abstract static class Base implements Callable<Integer> {
    @ParentCommand TagCommand parent;
    @Mixin ClusterOptions cluster;
  }

  abstract static class Setter extends Base {
    @Parameters(index = "0", paramLabel = "TAG", description = "the revision tag")
    String tag;

    @Option(
        names = {"-r", "--revision"},
        required = true,
        paramLabel = "REVISION",
        description = "control plane revision the tag points at")
    String revision;

    @Option(names = "--overwrite", description = "let the tag move from another revision")
    boolean overwrite;

    @Option(
        names = {"-y", "--skip-confirmation"},
        description = "do not ask; the answer is yes")
    boolean skipConfirmation;

    @Option(
        names = "--webhook-name",
        paramLabel = "NAME",
        description = "name of the webhook configuration instead of istio-revision-tag-<tag>")
    String webhookName;

    /** Builds the tag webhook, or throws naming why the tag may not be set. */
    /**
     * The tag's objects: its MutatingWebhookConfiguration and, for the {@code default} tag, the
     * {@code istiod-default-validator} of its revision. Throws naming why the tag may not be set.
     */
    List<HasMetadata> build(KubernetesClient client, boolean generate) {
      String invalid = RevisionTags.invalidTagName(tag);
      if (invalid != null) {
        throw new IllegalArgumentException(invalid);
      }
      if (revision.isBlank()) {
        throw new IllegalArgumentException("--revision must not be empty");
      }
      if (!generate
          && !overwrite
          && !"default".equals(tag)
          && !revisionWebhooks(client, tag).isEmpty()) {
        throw new IllegalStateException(
            "cannot create revision tag \"" + tag + "\": a control plane revision has that name");
      }
      List<MutatingWebhookConfiguration> canonical = revisionWebhooks(client, revision);
      if (canonical.isEmpty()) {
        throw new IllegalStateException(
            "cannot set tag \""
                + tag
                + "\": no MutatingWebhookConfiguration for revision \""
                + revision
                + "\" (labelled istio.io/rev="
                + revision
                + ")");
      }
      if (canonical.size() > 1) {
        throw new IllegalStateException(
            "cannot set tag \""
                + tag
                + "\": more than one injector webhook for revision \""
                + revision
                + "\": "
                + canonical.stream().map(w -> w.getMetadata().getName()).toList());
      }
      if (!generate) {
        for (MutatingWebhookConfiguration existing : tagWebhooks(client, tag)) {
          String was = labels(existing).getOrDefault(RevisionTags.REV_LABEL, "");
          if (!was.equals(revision) && !overwrite) {
            throw new IllegalStateException(
                "revision tag \""
                    + tag
                    + "\" already points at revision \""
                    + was
                    + "\"; pass --overwrite to move it to \""
                    + revision
                    + "\"");
          }
        }
      }
      RevisionWebhook rw = describe(canonical.get(0), cluster.istioNamespace());
      ObjectNode node =
          RevisionTags.webhook(
              new RevisionTags.Tag(
                  tag,
                  rw.revision(),
                  rw.namespace(),
                  rw.url(),
                  rw.caBundle(),
                  reinvocation(canonical.get(0)),
                  rw.path()));
      MutatingWebhookConfiguration mwc = K8s.typed(node, MutatingWebhookConfiguration.class);
      if (webhookName != null && !webhookName.isBlank()) {
        mwc.getMetadata().setName(webhookName);
      }
      // the revision's own labels (but not the installer's ownership) go with its tag
      labels(canonical.get(0))
          .forEach(
              (k, v) -> {
                if (!k.equals("app") && !k.contains("operator.istio.io")) {
                  mwc.getMetadata().getLabels().putIfAbsent(k, v);
                }
              });
      List<HasMetadata> out = new ArrayList<>(List.of(mwc));
      if ("default".equals(tag)) {
        ValidatingWebhookConfiguration existing =
            client
                .admissionRegistration()
                .v1()
                .validatingWebhookConfigurations()
                .withName("istiod-default-validator")
                .get();
        String policy =
            existing == null || existing.getWebhooks().isEmpty()
                ? null
                : existing.getWebhooks().get(0).getFailurePolicy();
        out.add(
            K8s.typed(
                RevisionTags.defaultValidator(
                    new RevisionTags.Tag(
                        tag, rw.revision(), rw.namespace(), rw.url(), rw.caBundle(), "Never"),
                    policy),
                ValidatingWebhookConfiguration.class));
      }
      return out;
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = "Creates or moves a revision tag.")
  static final class Set extends Setter {
    @Override
    public Integer call() {
      try (KubernetesClient client = cluster.client()) {
        for (HasMetadata o : build(client, false)) {
          client.resource(o).fieldManager("isthmus").forceConflicts().serverSideApply();
        }
        parent.out.printf(
            "Revision tag \"%s\" now points at control plane revision \"%s\".%n"
                + "Label a namespace to use it: kubectl label namespace <NAMESPACE>"
                + " istio.io/rev=%s%n",
            tag, revision, tag);
        return 0;
      }
    }
  }

  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = "Prints the webhook configuration of a revision tag without applying it.")
  static final class Generate extends Setter {
    @Override
    public Integer call() {
      try (KubernetesClient client = cluster.client()) {
        List<String> docs = new ArrayList<>();
        for (HasMetadata o : build(client, true)) {
          docs.add(Yamls.toYaml(K8s.node(o)));
        }
        parent.out.print(String.join("---\n", docs));
        return 0;
      }
    }
  }

  @Command(
      name = "list",
      aliases = "show",
      mixinStandardHelpOptions = true,
      description = "Lists the revision tags, their revisions and the namespaces using them.")
  static final class ListTags extends Base {
    @Option(
        names = {"-o", "--output"},
        defaultValue = "table",
        paramLabel = "FORMAT",
        description = "table, json or yaml (default: ${DEFAULT-VALUE})")
    String output;

    @Override
    public Integer call() throws Exception {
      if (!List.of("table", "json", "yaml").contains(output)) {
        throw new IllegalArgumentException(
            "--output " + output + ": expected one of table, json, yaml");
      }
      try (KubernetesClient client = cluster.client()) {
        TreeMap<String, Map<String, Object>> rows = new TreeMap<>();
        for (MutatingWebhookConfiguration wh :
            client
                .admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withLabel(RevisionTags.TAG_LABEL)
                .list()
                .getItems()) {
          String tag = labels(wh).get(RevisionTags.TAG_LABEL);
          String rev = labels(wh).getOrDefault(RevisionTags.REV_LABEL, "");
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("tag", tag);
          row.put("revision", rev);
          row.put("namespaces", namespacesUsing(client, tag));
          rows.put(rev + "\0" + tag, row);
        }
        PrintStream out = parent.out;
        if (!output.equals("table")) {
          var mapper =
              output.equals("json")
                  ? io.fabric8.kubernetes.client.utils.Serialization.jsonMapper()
                  : io.fabric8.kubernetes.client.utils.Serialization.yamlMapper();
          out.println(
              mapper.writerWithDefaultPrettyPrinter().writeValueAsString(rows.values()).strip());
          return 0;
        }
        if (rows.isEmpty()) {
          out.println("No revision tags (no MutatingWebhookConfiguration labelled istio.io/tag)");
          return 0;
        }
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"TAG", "REVISION", "NAMESPACES"});
        for (Map<String, Object> r : rows.values()) {
          @SuppressWarnings("unchecked")
          List<String> ns = (List<String>) r.get("namespaces");
          table.add(
              new String[] {
                (String) r.get("tag"), (String) r.get("revision"), String.join(",", ns)
              });
        }
        Tables.print(out, table);
        return 0;
      }
    }
  }

  @Command(
      name = "remove",
      aliases = "delete",
      mixinStandardHelpOptions = true,
      description = "Removes a revision tag.")
  static final class Remove extends Base {
    @Parameters(index = "0", paramLabel = "TAG", description = "the revision tag")
    String tag;

    @Option(
        names = {"-y", "--skip-confirmation"},
        description = "remove even when namespaces still use the tag")
    boolean skipConfirmation;

    @Override
    public Integer call() {
      try (KubernetesClient client = cluster.client()) {
        List<MutatingWebhookConfiguration> whs = tagWebhooks(client, tag);
        if (whs.isEmpty()) {
          throw new IllegalStateException(
              "cannot remove tag \"" + tag + "\": no MutatingWebhookConfiguration for it");
        }
        List<String> using = namespacesUsing(client, tag);
        if (!using.isEmpty() && !skipConfirmation) {
          throw new IllegalStateException(
              "revision tag \""
                  + tag
                  + "\" is still used by namespaces "
                  + using
                  + ": their new pods would not be injected; pass --skip-confirmation to remove"
                  + " it anyway");
        }
        for (MutatingWebhookConfiguration wh : whs) {
          client.resource(wh).delete();
        }
        parent.out.printf("Revision tag %s removed%n", tag);
        return 0;
      }
    }
  }

  /** The injector webhooks of a revision: labelled with it and not a tag. */
  static List<MutatingWebhookConfiguration> revisionWebhooks(
      KubernetesClient client, String revision) {
    return client
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withLabel(RevisionTags.REV_LABEL, revision)
        .withoutLabel(RevisionTags.TAG_LABEL)
        .list()
        .getItems();
  }

  static List<MutatingWebhookConfiguration> tagWebhooks(KubernetesClient client, String tag) {
    return client
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withLabel(RevisionTags.TAG_LABEL, tag)
        .list()
        .getItems();
  }

  static List<String> namespacesUsing(KubernetesClient client, String tag) {
    return client.namespaces().withLabel(RevisionTags.REV_LABEL, tag).list().getItems().stream()
        .map(Namespace::getMetadata)
        .map(m -> m.getName())
        .sorted()
        .toList();
  }

  static Map<String, String> labels(MutatingWebhookConfiguration wh) {
    return Optional.ofNullable(wh.getMetadata().getLabels()).orElse(Map.of());
  }

  /** The revision, namespace, URL and caBundle of a revision's injector webhook. */
  static RevisionWebhook describe(MutatingWebhookConfiguration wh, String fallbackNamespace) {
    String rev = labels(wh).getOrDefault(RevisionTags.REV_LABEL, "default");
    for (MutatingWebhook h : wh.getWebhooks()) {
      if (h.getName().endsWith("sidecar-injector.istio.io")) {
        var cc = h.getClientConfig();
        String ns =
            cc.getService() != null && cc.getService().getNamespace() != null
                ? cc.getService().getNamespace()
                : fallbackNamespace;
        return new RevisionWebhook(
            rev,
            ns,
            cc.getUrl() == null ? "" : cc.getUrl(),
            cc.getCaBundle() == null ? "" : cc.getCaBundle(),
            cc.getService() == null || cc.getService().getPath() == null
                ? ""
                : cc.getService().getPath());
      }
    }
    throw new IllegalStateException(
        "MutatingWebhookConfiguration "
            + wh.getMetadata().getName()
            + " has no *sidecar-injector.istio.io webhook");
  }

  private static String reinvocation(MutatingWebhookConfiguration wh) {
    return wh.getWebhooks().stream()
        .map(MutatingWebhook::getReinvocationPolicy)
        .filter(p -> p != null && !p.isEmpty())
        .findFirst()
        .orElse("Never");
  }
}
