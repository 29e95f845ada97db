package dev.isthmus.cli.install;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.operator.InstalledState;
import dev.isthmus.translate.Profiles;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import dev.isthmus.translate.ValidationException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code -f}, {@code --set} and {@code -r}, read as {@code manifest generate} reads them, and the
 * render of an installation: its objects carry the owner labels of its {@link InstalledState}
 * ({@code installed-state[-<rev>]} in the installation's namespace).
 */
public final class InstallInput {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "FILE",
      description = "an IstioOperator file; later files override earlier ones")
  List<String> files = new ArrayList<>();

  @Option(
      names = {"-s", "--set"},
      paramLabel = "PATH=VALUE",
      description = "override one IstioOperator field, e.g. values.pilot.replicaCount=2")
  List<String> sets = new ArrayList<>();

  @Option(
      names = {"-r", "--revision"},
      paramLabel = "REV",
      description = "the control plane revision")
  String revision;

  /** An installation ready to apply: its in-memory owner (the merged spec) and its objects. */
  public record Prepared(IstioOperator owner, RenderResult rendered) {
    /** The revision, {@code default} for none. */
    public String revisionLabel() {
      return InstalledState.revisionLabel(owner.getSpec().revision);
    }
  }

  /** True when neither a file nor a {@code --set} was given. */
  boolean empty() {
    return files.isEmpty() && sets.isEmpty() && revision == null;
  }

  /**
   * Renders the input; throws {@link ValidationException} (each message naming its field path or
   * file) when it does not render.
   */
  Prepared render() {
    List<String> docs = new ArrayList<>();
    for (String f : files) {
      docs.add(read(f, "-f"));
    }
    Map<String, String> profileFiles = new HashMap<>();
    String profile = Translator.requestedProfile(docs, sets);
    if (!Profiles.NAMES.contains(profile)) {
      profileFiles.put(profile, read(profile, "spec.profile"));
    }
    // "default" names the installation without a revision, as in uninstall -r default
    String rev =
        revision == null || revision.isEmpty() || revision.equals("default") ? null : revision;
    IstioOperator merged = Translator.render(docs, sets, rev, false, profileFiles).merged();
    String name = InstalledState.name(merged.getSpec().revision);
    String namespace = InstalledState.namespace(merged);
    // the owner's name and namespace go last, so they win over the input's metadata
    docs.add("metadata:\n  name: " + name + "\n  namespace: " + namespace + "\n");
    RenderResult rendered = Translator.render(docs, sets, rev, false, profileFiles);
    return new Prepared(owner(rendered.merged(), name, namespace), rendered);
  }

  /** The render of a recorded installation. */
  static Prepared render(IstioOperator recorded) {
    RenderResult rendered = Translator.render(recorded);
    return new Prepared(
        owner(
            rendered.merged(),
            recorded.getMetadata().getName(),
            recorded.getMetadata().getNamespace()),
        rendered);
  }

  private static IstioOperator owner(IstioOperator merged, String name, String namespace) {
    IstioOperator owner = JSON.clone(merged);
    owner.getMetadata().setName(name);
    owner.getMetadata().setNamespace(namespace);
    return owner;
  }

  private static String read(String file, String what) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      String reason = e.getClass().getSimpleName().replace("Exception", "");
      throw new ValidationException(
          List.of(what + " " + file + ": cannot read file (" + reason + ")"));
    }
  }
}
